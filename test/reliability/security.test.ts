import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { uuidv7 } from "uuidv7";
import { createApp } from "../../src/app.js";
import { createTokenTable } from "../../src/http/auth.js";
import { toCsv } from "../../src/http/csv.js";
import type { Logger } from "../../src/http/context.js";
import { resultCsvRows, RESULT_CSV_HEADER } from "../../src/routes/export-import/export-import.csv.js";
import type { EventStore } from "../../src/store/event-store.js";
import { CANDIDATE, BY_EMAIL, paths, pkg } from "../support/fixtures.js";
import { file, formOf } from "../support/server.js";
import { ROOT, spawnServer, tempDb, type ServerProcess, type TempDir } from "./harness.js";

/**
 * Security properties of issue 7. Related tests elsewhere: test/http/auth-limits.test.ts (401/403,
 * 413 of a small upload), test/http/hokify-webhook.test.ts (signature, 5-minute window, repeated
 * delivery ids across restarts, formula escaping of the run report CSV), test/unit/csv.test.ts.
 */

const BEARER = "sec-bearer-token-5f2c9a7e41d8b3c6";
const QUERY = "sec-query-token-8e1b4d7a2c9f6e30";
const PLANNER = "sec-planner-token-3a7f1c9e5b2d8a4";
const WRONG = "sec-wrong-token-0d9c8b7a6f5e4d3c";
const SECRET = "sec-webhook-secret-0123456789ab";

const source = (path: string) => readFileSync(join(ROOT, path), "utf8");

/**
 * A POST on its own connection (node:http, no keep-alive), as a Response. Oversize bodies are sent
 * this way: a pooled fetch connection may be closed under the next request after the server
 * answered 413 without reading the body (docs/reliability.md). An array body is sent chunked,
 * without Content-Length.
 */
async function post(url: string, headers: Record<string, string>, body: string | Blob | FormData | string[]): Promise<Response> {
  let bytes: Buffer | Buffer[];
  const h: Record<string, string> = { ...headers };
  if (Array.isArray(body)) bytes = body.map((c) => Buffer.from(c));
  else {
    const encoded = new Response(body);
    if (!("content-type" in h) && encoded.headers.get("content-type")) h["content-type"] = encoded.headers.get("content-type")!;
    bytes = Buffer.from(await encoded.arrayBuffer());
    h["content-length"] = String(bytes.length);
  }
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: "POST", headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => ok(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: res.headers as Record<string, string> })));
    });
    req.on("error", fail);
    if (Array.isArray(bytes)) {
      for (const c of bytes) req.write(c);
      req.end();
    } else req.end(bytes);
  });
}

describe("tokens are compared in constant time", () => {
  it("the auth module hashes the presented token and compares fixed-length digests without an early exit", () => {
    const auth = source("src/http/auth.ts");
    // The presented token is hashed before any comparison...
    expect(auth).toMatch(/const digest = await sha256\(token\);[\s\S]*sameDigest\(known\.digest, digest\)/);
    expect(auth).toMatch(/crypto\.subtle\.digest\("SHA-256"/);
    // ...the comparison ORs every byte difference (no return inside the loop)...
    const compare = /function sameDigest[\s\S]*?\n}/.exec(auth)![0];
    expect(compare).toMatch(/diff \|= a\[i\]! \^ \(b\[i\] \?\? 0\)/);
    expect(compare.match(/return/g)).toHaveLength(1);
    // ...and every configured token is compared (no break when one matches).
    expect(auth).toMatch(/for \(const known of opts\.tokens\) if \(sameDigest\(known\.digest, digest\)\) found = known\.principal;/);
    expect(auth).not.toMatch(/token\s*===|===\s*token/);
  });

  it("keeps only SHA-256 digests and a tok_ id per token, never the token itself", async () => {
    const table = await createTokenTable({ [BEARER]: ["*"], [QUERY]: ["audit:read"] });
    const dump = JSON.stringify(table, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v instanceof Set ? [...v] : v));
    expect(dump).not.toContain(BEARER);
    expect(dump).not.toContain(QUERY);
    for (const t of table) {
      expect(t.digest).toHaveLength(32);
      expect(t.principal.tokenId).toMatch(/^tok_[0-9a-f]{12}$/);
    }
  });

  it("the webhook signature is compared the same way", () => {
    const sig = source("src/hokify/signature.ts");
    const compare = /function sameBytes[\s\S]*?\n}/.exec(sig)![0];
    expect(compare).toMatch(/diff \|= a\[i\]! \^ \(b\[i\] \?\? 0\)/);
    expect(compare.match(/return/g)).toHaveLength(1);
  });
});

describe("tokens are never logged or stored (the real server, access log on)", () => {
  let tmp: TempDir;
  let server: ServerProcess;
  beforeAll(async () => {
    tmp = tempDb("security");
    server = await spawnServer({
      dbFile: tmp.dbFile,
      tokens: { [BEARER]: ["*"], [QUERY]: ["*"], [PLANNER]: ["import:plan"] },
      // LOG_LEVEL unset: the JSON access log writes a line per request to stdout.
      env: { LOG_LEVEL: "", HOKIFY_WEBHOOK_SECRET: SECRET, MAX_UPLOAD_BYTES: "200000" },
    });
    const bearer = { authorization: `Bearer ${BEARER}` };
    const json = (body: unknown) => ({ method: "POST", headers: { ...bearer, "content-type": "application/json" }, body: JSON.stringify(body) });
    const u = server.url;
    const doc = pkg([{ Fields: { email: "sec@example.at", first_name: "Sec" } }, { Fields: { email: "ret@example.at" } }]);
    const responses = [
      await fetch(u + paths.definitions, json(CANDIDATE)),
      await fetch(u + paths.profiles(), json(BY_EMAIL)),
      await fetch(u + paths.apply(), { method: "POST", headers: { ...bearer, "idempotency-key": "sec-key" }, body: formOf({ ProfileId: "by_email", File: file(doc), SelectedRowIndexes: "1-2" }) }),
      await fetch(`${u}${paths.plan()}?access_token=${QUERY}`, { method: "POST", body: formOf({ ProfileId: "by_email", File: file(doc) }) }),
      await fetch(`${u}${paths.instances()}?limit=5&access_token=${QUERY}&x=1`),
      await fetch(`${u}${paths.instances()}?access_token=${WRONG}`),
      await fetch(u + paths.definitions, { headers: { authorization: `Bearer ${WRONG}` } }),
      await fetch(`${u}/api/audit/events?access_token=${PLANNER}`),
      await fetch(`${u}/api/nothing?access_token=${QUERY}`),
      await fetch(`${u}/api/ExportImport/HokifyImport/webhook?access_token=${QUERY}`, { method: "POST", headers: { authorization: `Bearer ${BEARER}` }, body: "{}" }),
      await post(`${u}${paths.plan()}?access_token=${QUERY}`, {}, formOf({ ProfileId: "by_email", File: new Blob(["x".repeat(300_000)]) })),
    ];
    expect(responses.map((r) => r.status)).toEqual([201, 201, 200, 200, 200, 401, 401, 403, 404, 401, 413]);
    await Promise.all(responses.map((r) => r.text()));
    // Graceful stop: the WAL is checkpointed into the file, so every stored byte is in one place.
    await server.kill("SIGTERM");
  }, 60_000);
  afterAll(async () => {
    await server?.kill("SIGKILL");
    tmp?.remove();
  });

  it("no token appears in the process's output, and the access log shows ?access_token= as REDACTED", () => {
    const out = server.output();
    const lines = out.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.length).toBeGreaterThanOrEqual(11);
    for (const token of [BEARER, QUERY, PLANNER, WRONG]) expect(out).not.toContain(token);
    const logged = lines.map((l) => JSON.parse(l) as { url?: string; actor?: string | null });
    const withQuery = logged.filter((l) => l.url?.includes("access_token"));
    expect(withQuery.length).toBeGreaterThanOrEqual(6);
    for (const l of withQuery) expect(l.url).toMatch(/access_token=REDACTED/);
    expect(logged.find((l) => l.url?.includes("x=1"))?.url).toBe("/api/workspace/entity/candidate/instances?limit=5&access_token=REDACTED&x=1");
    for (const l of logged) if (l.actor) expect(l.actor).toMatch(/^tok_[0-9a-f]{12}$/);
  });

  it("no token appears anywhere in the database files; events name the actor by its tok_ id", async () => {
    const files = readdirSync(tmp.dir).map((f) => join(tmp.dir, f));
    expect(files.some((f) => f.endsWith("service.db"))).toBe(true);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const token of [BEARER, QUERY, PLANNER, WRONG]) {
        expect(bytes.includes(Buffer.from(token)), `${token} in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(token, "utf16le")), `${token} (UTF-16) in ${f}`).toBe(false);
      }
    }
    const db = createClient({ url: `file:${tmp.dbFile}` });
    try {
      const actors = (await db.execute("SELECT DISTINCT json_extract(metadata, '$.Actor') AS a FROM events")).rows.map((r) => String(r.a));
      expect(actors.length).toBeGreaterThanOrEqual(2);
      for (const a of actors) expect(a).toMatch(/^tok_[0-9a-f]{12}$/);
      const keys = (await db.execute("SELECT principal FROM idempotency_keys")).rows.map((r) => String(r.principal));
      expect(keys).toEqual([expect.stringMatching(/^tok_[0-9a-f]{12}$/)]);
    } finally {
      db.close();
    }
  });
});

describe("a 500 carries no stack and no SQL", () => {
  const TOKEN = "five-hundred-token-0123456789";
  const sqlError = () => {
    const e = new Error("SQLITE_ERROR: no such column: secret_column in SELECT secret_column FROM instances WHERE id = 'x'") as Error & { code: string };
    e.code = "SQLITE_ERROR";
    return e;
  };
  const broken: EventStore = {
    append: async () => {
      throw sqlError();
    },
    read: async () => {
      throw sqlError();
    },
    readStream: async () => {
      throw sqlError();
    },
    query: async () => {
      throw sqlError();
    },
    write: async () => {
      throw sqlError();
    },
    close: async () => {},
  };

  it.each([
    ["GET", paths.definitions],
    ["GET", `${paths.instances()}?limit=5`],
    ["GET", "/api/audit/events"],
    ["POST", paths.plan()],
    ["POST", paths.definitions],
    ["GET", "/api/ExportImport/results"],
  ])("%s %s answers problem details with only a request id", async (method, path) => {
    const logged: unknown[] = [];
    const logger: Logger = { info: () => {}, error: (msg, fields) => logged.push({ msg, ...fields }) };
    const app = await createApp({ deps: { store: broken, now: () => new Date(), newId: uuidv7 }, tokens: { [TOKEN]: ["*"] }, authDisabled: false, maxUploadBytes: 1 << 20, logger });
    const body = method === "GET" ? undefined : path.includes("plan") ? formOf({ ProfileId: "by_email", File: file(pkg([{ Fields: { email: "a@b.at" } }])) }) : JSON.stringify(CANDIDATE);
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (typeof body === "string") headers["content-type"] = "application/json";
    const res = await app.request(path, { method, headers, body });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = JSON.parse(text);
    expect(Object.keys(problem).sort()).toEqual(["detail", "instance", "status", "title", "type"]);
    const [, requestId] = /^An unexpected error occurred\. Quote request id ([0-9a-f-]{36}) when reporting it\.$/.exec(problem.detail) ?? [];
    expect(requestId).toBeDefined();
    expect(text).not.toMatch(/SQLITE|SELECT|secret_column|no such column|\bat \S+ \(|\.ts:\d+/);
    // The details go to the log (for operators) under the same request id, still without the token.
    expect(logged).toContainEqual(expect.objectContaining({ msg: "unhandled error", requestId, error: expect.stringContaining("secret_column") }));
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
  });
});

describe("CSV cells are escaped against formula injection", () => {
  it("every cell of the ExportImportResult CSV that starts with = + - @ tab or CR is prefixed with '", () => {
    const hostile = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"];
    const exception = (m: string) => ({ ClassName: m, Message: m, Data: {}, InnerException: null, HelpURL: null, StackTraceString: null, RemoteStackTraceString: null, RemoteStackIndex: 0, ExceptionMethod: null, HResult: -2146233088, Source: null, WatsonBuckets: null });
    const result = {
      CreatedCounts: Object.fromEntries(hostile.map((h, i) => [h, i])),
      UpdatedCounts: {},
      DeletedCounts: {},
      UnchangedCounts: {},
      Exceptions: Object.fromEntries(hostile.map((h) => [h, [exception(h)]])),
      DownloadUrl: '=HYPERLINK("http://evil.example","x")',
      OkCount: 0,
      ErrorCount: 0,
      StatsCounter: Object.fromEntries(hostile.map((h, i) => [h, i])),
    };
    const csv = toCsv(RESULT_CSV_HEADER, resultCsvRows(result as never));
    const records = csv.split("\r\n").slice(1).filter(Boolean);
    const cells = records.flatMap((line) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, "").replace(/^"|"$/g, "")));
    for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(csv).toContain("'=cmd|' /C calc'!A0");
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
  });
  // The run report CSV with hostile Hokify data over HTTP: test/http/hokify-webhook.test.ts
  // ("escapes formula-like values from Hokify in the run report CSV").
});

describe("limits: body size (413) and JSON depth (400), on every kind of body", () => {
  let tmp: TempDir;
  let server: ServerProcess;
  const T = { authorization: `Bearer ${BEARER}` };
  beforeAll(async () => {
    tmp = tempDb("limits");
    server = await spawnServer({ dbFile: tmp.dbFile, tokens: { [BEARER]: ["*"] }, env: { MAX_UPLOAD_BYTES: "100000", HOKIFY_WEBHOOK_SECRET: SECRET } });
    await fetch(server.url + paths.definitions, { method: "POST", headers: { ...T, "content-type": "application/json" }, body: JSON.stringify(CANDIDATE) });
    await fetch(server.url + paths.profiles(), { method: "POST", headers: { ...T, "content-type": "application/json" }, body: JSON.stringify(BY_EMAIL) });
  }, 60_000);
  afterAll(async () => {
    await server?.kill("SIGKILL");
    tmp?.remove();
  });
  const events = async () => {
    const db = createClient({ url: `file:${tmp.dbFile}` });
    try {
      return Number((await db.execute("SELECT count(*) FROM events")).rows[0]![0]);
    } finally {
      db.close();
    }
  };
  const expectProblem = async (res: Response, status: number) => {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), instance: expect.stringMatching(/^\//) });
  };
  const expectEnvelope = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body).toMatchObject({ Data: null, Warnings: [] });
    expect(body.Errors[0]).toMatchObject({ Code: code });
  };
  const deep = (n: number) => "[".repeat(n) + "]".repeat(n);

  it("answers 413 to an oversize multipart upload, JSON body, webhook body, and a chunked body without Content-Length", async () => {
    const before = await events();
    const big = "x".repeat(150_000);
    await expectProblem(await post(server.url + paths.plan(), T, formOf({ ProfileId: "by_email", File: new Blob([big]) })), 413);
    await expectProblem(await post(server.url + paths.definitions, { ...T, "content-type": "application/json" }, JSON.stringify({ ...CANDIDATE, Key: big })), 413);
    await expectProblem(await post(`${server.url}/api/ExportImport/HokifyImport/webhook`, { "content-type": "application/json" }, big), 413);
    // Chunked, no Content-Length: the limit is enforced while the body streams in.
    await expectProblem(await post(server.url + paths.definitions, { ...T, "content-type": "application/json" }, [`{"Key":"${"y".repeat(60_000)}`, `${"y".repeat(60_000)}"}`]), 413);
    expect(await events()).toBe(before);
    expect(server.proc.exitCode).toBeNull();
  });

  it("refuses JSON bodies nested deeper than 32 levels with 400 (was accepted and stripped)", async () => {
    const before = await events();
    const post = (path: string, body: string) => fetch(server.url + path, { method: "POST", headers: { ...T, "content-type": "application/json" }, body });
    await expectEnvelope(await post(paths.definitions, deep(40_000)), 400, "invalid_request");
    await expectEnvelope(await post(paths.definitions, `{"Key":"deep","DisplayNameSingular":"a","DisplayNamePlural":"b","Fields":[],"x":${deep(33)}}`), 400, "invalid_request");
    await expectEnvelope(await post(paths.profiles(), `{"Key":"p","Name":"p","FieldMap":${'{"a":'.repeat(40)}1${"}".repeat(40)}}`), 400, "invalid_request");
    await expectEnvelope(await post(paths.export(), `{"ProfileId":"by_email","Query":${deep(50)}}`), 400, "invalid_request");
    // 32 levels are still fine: the limit is far above what any route needs.
    expect((await post(paths.definitions, `{"Key":"shallow","DisplayNameSingular":"a","DisplayNamePlural":"b","Fields":[],"x":${deep(30)}}`)).status).toBe(201);
    expect(await events()).toBe(before + 1);
  });

  it("refuses packages nested deeper than 64 levels with 400 invalid_package, and a deep FormatVersion no longer answers 500", async () => {
    const before = await events();
    const plan = (text: string) => fetch(server.url + paths.plan(), { method: "POST", headers: T, body: formOf({ ProfileId: "by_email", File: new Blob([text]) }) });
    // Before the fix: JSON.stringify(FormatVersion) in the unsupported_version message overflowed the stack → 500.
    await expectEnvelope(await plan(`{"FormatVersion":${deep(20_000)},"Records":[]}`), 400, "invalid_package");
    await expectEnvelope(await plan(deep(45_000)), 400, "invalid_package");
    await expectEnvelope(await plan(`{"FormatVersion":1,"Records":[{"Fields":{"email":"d@x.at","first_name":${deep(100)}}}]}`), 400, "invalid_package");
    // Brackets inside strings do not count; a shallow but odd FormatVersion is still unsupported_version.
    await expectEnvelope(await plan(`{"FormatVersion":[[1]],"Records":[],"Note":"${"[".repeat(500)}"}`), 400, "unsupported_version");
    expect(await events()).toBe(before);
    const ok = await plan(`{"FormatVersion":1,"Records":[{"Fields":{"email":"d@x.at","first_name":"${"{[".repeat(100)}"}}]}`);
    expect(ok.status).toBe(200);
  });

  it("answers a malformed multipart body with an Idempotency-Key with 400, not 500 (was 500)", async () => {
    const before = await events();
    for (const [type, body] of [
      ["multipart/form-data; boundary=nope", '--x\r\nContent-Disposition: form-data; name="ProfileId"\r\n\r\nby_email\r\n--x--\r\n'],
      ["multipart/form-data", "garbage"],
    ]) {
      const res = await fetch(server.url + paths.apply(), { method: "POST", headers: { ...T, "content-type": type!, "idempotency-key": `bad-form-${type}` }, body });
      await expectEnvelope(res, 400, "invalid_request");
    }
    // A well-formed form with a key still works, and its repeat is replayed.
    const form = () => formOf({ ProfileId: "by_email", File: file(pkg([{ Fields: { email: "idem@x.at" } }])), SelectedRowIndexes: "1" });
    const first = await fetch(server.url + paths.apply(), { method: "POST", headers: { ...T, "idempotency-key": "good-form" }, body: form() });
    const again = await fetch(server.url + paths.apply(), { method: "POST", headers: { ...T, "idempotency-key": "good-form" }, body: form() });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
    expect(await events()).toBe(before + 2);
  });

  it("checks the webhook's signature before reading its body as JSON; a wrong or replayed-late signature records nothing", async () => {
    const body = JSON.stringify({ deliveryId: "late", event: "application.updated", occurredAt: new Date().toISOString(), data: {} });
    const sign = (ts: number, secret = SECRET) => ({ "x-hokify-timestamp": String(ts), "x-hokify-signature": `sha256=${createHmac("sha256", secret).update(`${ts}.${body}`).digest("hex")}` });
    const now = Math.floor(Date.now() / 1000);
    const hook = (headers: Record<string, string>, b = body) => fetch(`${server.url}/api/ExportImport/HokifyImport/webhook`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: b });
    await expectProblem(await hook(sign(now, "not-the-secret-0123456789")), 401);
    await expectProblem(await hook(sign(now - 301)), 401);
    await expectProblem(await hook(sign(now), `${body} `), 401);
    await expectProblem(await hook({}, deep(50_000)), 401);
    const db = createClient({ url: `file:${tmp.dbFile}` });
    try {
      expect(Number((await db.execute("SELECT count(*) FROM hokify_webhook_deliveries")).rows[0]![0])).toBe(0);
    } finally {
      db.close();
    }
  });
});
