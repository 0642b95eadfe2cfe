import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startHranaServer, type HranaServer } from "../support/hrana-server.js";
import { freePort, stop, waitForOutput } from "../support/processes.js";
import { ADMIN, client, file } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { IMPORT, WEBHOOK, eventually, hokifyEnv, startSandbox } from "../support/hokify.js";
import type { HokifySandbox } from "../support/hokify-sandbox/sandbox.js";

/**
 * The Worker in the real workerd runtime (wrangler dev on 127.0.0.1), talking to a libSQL
 * database over HTTP (Hrana), exactly as it talks to Turso in production.
 */
const dir = mkdtempSync(join(tmpdir(), "worker-"));
const DB_TOKEN = "hrana-test-token";
let hrana: HranaServer;
let sandbox: HokifySandbox;
let wrangler: ChildProcess | undefined;
let base = "";

beforeAll(async () => {
  hrana = await startHranaServer({ path: join(dir, "remote.db"), authToken: DB_TOKEN });
  // `npm run db:migrate` against the remote database, as the README says to do before deploying.
  const migrated = await promisify(execFile)(process.execPath, ["--import", "tsx", "src/runtime/migrate.ts"], {
    env: { ...process.env, LIBSQL_URL: hrana.url, LIBSQL_AUTH_TOKEN: DB_TOKEN },
  });
  expect(migrated.stdout).toMatch(/Migrations applied/);

  sandbox = await startSandbox({ applications: 8 });
  const port = await freePort();
  const envFile = join(dir, "worker.env");
  const hokify = Object.entries(hokifyEnv(sandbox, { HOKIFY_SCOPES: "3" })).map(([k, v]) => `${k}=${v}`);
  writeFileSync(envFile, [`LIBSQL_URL=${hrana.url}`, `LIBSQL_AUTH_TOKEN=${DB_TOKEN}`, `API_TOKENS='${JSON.stringify({ [ADMIN]: ["*"] })}'`, ...hokify].join("\n"));
  wrangler = spawn(
    join("node_modules", ".bin", "wrangler"),
    ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--env-file", envFile, "--persist-to", join(dir, "state"), "--show-interactive-dev-session=false", "--test-scheduled", "--log-level", "warn"],
    { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  base = `http://127.0.0.1:${port}`;
  // Ready when /health answers; fail early with wrangler's output if it exits instead.
  const exited = waitForOutput(wrangler, /(?!)/, 120_000).catch((e: Error) => e);
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (wrangler.exitCode !== null) throw await exited;
    if (i > 240) throw new Error("wrangler dev did not come up within 120 s");
    await new Promise((r) => setTimeout(r, 500));
  }
}, 150_000);

afterAll(async () => {
  await stop(wrangler);
  await hrana?.close();
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Worker in workerd against remote libSQL", () => {
  it("refuses calls without a valid token", async () => {
    const r = await fetch(`${base}${paths.definitions}`);
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
  });

  it("runs define → profile → plan → apply → export → read → history", async () => {
    const api = client(base);
    const fake = { api } as Parameters<typeof seedCandidate>[0];
    await seedCandidate(fake);
    const doc = pkg([{ Fields: { email: "edge@example.at", first_name: "Edge", age: 30 } }, { Fields: { email: "worker@example.at" } }]);
    const plan = await api.upload(paths.plan(), { ProfileId: "by_email", File: file(doc) });
    expect(plan.status).toBe(200);
    expect(plan.body.Data.Summary).toMatchObject({ TotalRows: 2, CreateRows: 2, ErrorRows: 0 });
    const apply = await api.upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: "1-2" }, { headers: { "Idempotency-Key": "edge-1" } });
    expect(apply.body.Data.Summary).toMatchObject({ AppliedRows: 2, CreateRows: 2 });
    const replay = await api.upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: "1-2" }, { headers: { "Idempotency-Key": "edge-1" } });
    expect(replay.text).toBe(apply.text);

    const exported = await api.post(paths.export(), { ProfileId: "by_email" });
    expect(exported.status).toBe(200);
    expect(exported.body.Records.map((r: { Fields: { email: string } }) => r.Fields.email)).toEqual(["edge@example.at", "worker@example.at"]);
    const again = await api.upload(paths.plan(), { ProfileId: "by_email", File: file(exported.body) });
    expect(again.body.Data.Summary).toMatchObject({ SkipRows: 2, TotalRows: 2 });

    const id = apply.body.Data.Rows[0].InstanceId;
    const inst = await api.get(`${paths.instances()}/${id}`);
    expect(inst.body.Data).toMatchObject({ Id: id, Fields: { email: "edge@example.at", first_name: "Edge", age: 30 }, Version: 1 });
    const history = await api.get(`${paths.instances()}/${id}/history`);
    expect(history.body.Data.map((e: { Type: string }) => e.Type)).toEqual(["InstanceCreated"]);
  });

  it("wrote the events and projections to the remote database", async () => {
    const { createClient } = await import("@libsql/client");
    const db = createClient({ url: hrana.url, authToken: DB_TOKEN });
    try {
      const types = (await db.execute("SELECT type, count(*) AS n FROM events GROUP BY type ORDER BY type")).rows.map((r) => `${r.type}:${r.n}`);
      expect(types).toEqual(["EntityDefinitionCreated:1", "ImportApplied:1", "ImportPlanned:2", "ImportProfileCreated:1", "InstanceCreated:2"]);
      expect(Number((await db.execute("SELECT count(*) FROM instances")).rows[0]![0])).toBe(2);
    } finally {
      db.close();
    }
  });

  it("runs the Hokify import, its signed webhook (waitUntil) and the Cron Trigger's scheduled handler", async () => {
    const api = client(base);
    const run = await api.get(`${IMPORT}?scopeId=2&importMode=Full`);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ ErrorCount: 0, CreatedCounts: { Application: 8 } });
    expect(run.body.DownloadUrl).toMatch(new RegExp(`^${base}/api/ExportImport/runs/`));

    const delivery = JSON.stringify({ deliveryId: "worker-1", event: "application.created", occurredAt: new Date().toISOString(), scopeId: 2, data: { relationType: "job", relationId: "job-w", sourceId: "src-w", applications: [{ _id: "app-w", contactStage: "new", createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), user: { _id: "user-w", displayName: "Wanda Worker", general: { firstName: "Wanda", lastName: "Worker", email: "wanda@example.at", phone: null } } }] } });
    const headers = await sandbox.signWebhook("test-webhook-secret-0123456789", delivery);
    const accepted = await fetch(base + WEBHOOK, { method: "POST", headers: { ...headers }, body: delivery });
    expect(accepted.status).toBe(202);
    // The import continues after the 202 (executionCtx.waitUntil) and lands in the database.
    await eventually(async () => {
      const r = await api.get("/api/audit/imports?kind=hokify");
      return r.body.Data.length >= 2 ? true : undefined;
    }, 20_000);

    const scheduled = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/15 * * * *")}`);
    expect(scheduled.status).toBe(200);
    const scopes = await eventually(async () => {
      const r = await api.get("/api/audit/imports?kind=hokify");
      const s = r.body.Data.map((x: { ScopeId: number }) => x.ScopeId);
      return s.includes(3) ? s : undefined;
    }, 20_000);
    expect(scopes).toContain(3);
  });
});
