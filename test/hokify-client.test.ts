import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { parseRetryAfter } from "../src/hokify/backoff.js";
import { createHokifyClient, type HokifyClientConfig, type HokifyPage } from "../src/hokify/client.js";
import { HokifyError } from "../src/hokify/errors.js";
import { HokifyWebhookPayloadSchema } from "../src/hokify/schemas.js";
import { createHokifySandbox, type HokifySandboxOptions } from "./support/hokify-sandbox/sandbox.js";
import { WEBHOOK_PATH } from "./support/hokify-sandbox/webhook.js";

// Generated sandbox data is dated before mid-2025; these bounds cover all of it.
const EVER = new Date(0);
const FAR_FUTURE = new Date("2100-01-01T00:00:00.000Z");

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function startSandbox(options: HokifySandboxOptions = {}) {
  const sandbox = createHokifySandbox(options);
  await sandbox.start();
  cleanups.push(() => sandbox.stop());
  return sandbox;
}

/** A client whose backoff waits are recorded instead of slept, so retry tests take milliseconds. */
function clientFor(sandbox: { url: string; mandator: string; apiToken: string }, overrides: Partial<HokifyClientConfig> = {}) {
  const sleeps: number[] = [];
  const client = createHokifyClient({
    baseUrl: sandbox.url,
    mandator: sandbox.mandator,
    apiToken: sandbox.apiToken,
    timeoutMs: 2_000,
    baseDelayMs: 10,
    maxDelayMs: 5_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  return { client, sleeps };
}

async function collect(pages: AsyncGenerator<HokifyPage>) {
  const seen: HokifyPage[] = [];
  for await (const page of pages) seen.push(page);
  const applications = seen.flatMap((p) => p.relations.flatMap((r) => r.applications.map((a) => ({ ...a, relationId: r.relationId }))));
  return { pages: seen, applications, ids: applications.map((a) => a._id) };
}

async function hokifyError(promise: Promise<unknown>): Promise<HokifyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HokifyError);
  return error as HokifyError;
}

const fullWindow = { startTime: EVER, endTime: FAR_FUTURE, offset: 0, limit: 500 };

describe("access token", () => {
  it("is fetched once and shared by concurrent and later callers", async () => {
    const sandbox = await startSandbox();
    const { client } = clientFor(sandbox);

    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => client.getToken()));
    expect(new Set(tokens).size).toBe(1);
    expect(await client.getToken()).toBe(tokens[0]);
    await client.getAllApplications(fullWindow);
    expect(sandbox.stats().tokenRequests).toBe(1);
  });

  it("is renewed shortly before expires_in runs out", async () => {
    let clock = Date.parse("2025-07-01T12:00:00.000Z");
    const sandbox = await startSandbox({ tokenTtlSeconds: 120, now: () => clock });
    const { client } = clientFor(sandbox, { now: () => clock });

    const first = await client.getToken();
    clock += 100_000; // 100 s of 120: still well inside
    expect(await client.getToken()).toBe(first);
    clock += 9_000; // 109 s: inside the 10 % (12 s) safety margin
    const second = await client.getToken();
    expect(second).not.toBe(first);
    expect(sandbox.stats().tokensIssued).toBe(2);

    clock += 60_000; // the first token is now expired on the server; the renewed one is not
    const relations = await client.getAllApplications(fullWindow);
    expect(relations.length).toBeGreaterThan(0);
    expect(sandbox.stats().served401).toBe(0);
  });

  it("is replaced once when a data call answers 401", async () => {
    const sandbox = await startSandbox();
    const { client } = clientFor(sandbox);
    const revoked = await client.getToken();
    sandbox.expireTokens();

    const relations = await client.getAllApplications(fullWindow);
    expect(relations.flatMap((r) => r.applications)).toHaveLength(50);
    expect(await client.getToken()).not.toBe(revoked);
    expect(sandbox.stats()).toMatchObject({ tokensIssued: 2, served401: 1, dataRequests: 2 });
  });

  it("gives up with an auth error when the fresh token is refused as well", async () => {
    const sandbox = await startSandbox();
    const { client } = clientFor(sandbox, {
      // A server that revokes every token before it is used.
      fetch: (input, init) => {
        if (String(input).includes("getAllApplications")) sandbox.expireTokens();
        return fetch(input, init);
      },
    });

    const error = await hokifyError(client.getAllApplications(fullWindow));
    expect(error).toMatchObject({ kind: "auth", status: 401, attempts: 2 });
    expect(sandbox.stats()).toMatchObject({ tokensIssued: 2, dataRequests: 2 });
  });

  it("rejects bad credentials with an auth error that contains no secret", async () => {
    const sandbox = await startSandbox({ mandator: "acme", apiToken: "right-token" });
    const wrong = "wrong-token-5f2c91";
    const { client, sleeps } = clientFor({ url: sandbox.url, mandator: "acme", apiToken: wrong });

    const error = await hokifyError(client.getAllApplications(fullWindow));
    expect(error).toMatchObject({ kind: "auth", status: 401, attempts: 1 });
    expect(sleeps).toEqual([]);
    expect(sandbox.stats()).toMatchObject({ tokenRequests: 1, tokenRejected: 1, dataRequests: 0 });
    const everything = `${error.message} ${String(error)} ${JSON.stringify(error)} ${error.stack}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(btoa(`acme:${wrong}`));
  });
});

describe("paging", () => {
  it("returns every application exactly once, grouped under its own relation", async () => {
    const sandbox = await startSandbox({ applications: 237, relations: 20, seed: 7 });
    const { client } = clientFor(sandbox);

    const { pages, ids, applications } = await collect(client.pages({ startTime: EVER, endTime: FAR_FUTURE, pageSize: 50 }));

    expect(pages.map((p) => p.pageIndex)).toEqual([0, 1, 2, 3, 4]);
    expect(pages.map((p) => p.applicationCount)).toEqual([50, 50, 50, 50, 37]);
    expect(ids).toHaveLength(237);
    expect(new Set(ids)).toEqual(new Set(sandbox.applications().map((r) => r.application._id)));
    const relationOf = new Map(sandbox.applications().map((r) => [r.application._id, r.relation.relationId]));
    for (const a of applications) expect(a.relationId).toBe(relationOf.get(a._id));
    expect(sandbox.stats().dataRequests).toBe(5);
  });

  it("needs one extra, empty request when the total is a multiple of the page size", async () => {
    const sandbox = await startSandbox({ applications: 100 });
    const { client } = clientFor(sandbox);

    const { pages, ids } = await collect(client.pages({ startTime: EVER, endTime: FAR_FUTURE, pageSize: 50 }));
    expect(pages.map((p) => p.applicationCount)).toEqual([50, 50]);
    expect(new Set(ids).size).toBe(100);
    expect(sandbox.stats().dataRequests).toBe(3);
  });

  it("offset and limit select a slice of applications ordered by updatedAt, then _id, grouped by relation", async () => {
    const sandbox = await startSandbox({ applications: 60, relations: 4 });
    const { client } = clientFor(sandbox);

    const relations = await client.getAllApplications({ startTime: EVER, endTime: FAR_FUTURE, offset: 10, limit: 7 });

    // Expected grouping, built independently of the sandbox's paging code.
    const slice = sandbox.applications().slice(10, 17);
    const expected: Array<{ relationId: string; ids: string[] }> = [];
    for (const { relation, application } of slice) {
      const group = expected.find((g) => g.relationId === relation.relationId);
      if (group) group.ids.push(application._id);
      else expected.push({ relationId: relation.relationId, ids: [application._id] });
    }
    expect(relations.map((r) => ({ relationId: r.relationId, ids: r.applications.map((a) => a._id) }))).toEqual(expected);
  });

  it("filters on updatedAt with startTime inclusive and endTime exclusive", async () => {
    const sandbox = await startSandbox({ applications: 80 });
    const { client } = clientFor(sandbox);
    const all = sandbox.applications().map((r) => r.application);
    const startTime = new Date(all[20]!.updatedAt);
    const endTime = new Date(all[45]!.updatedAt);

    const { ids } = await collect(client.pages({ startTime, endTime, pageSize: 10 }));

    const expected = all.filter((a) => Date.parse(a.updatedAt) >= +startTime && Date.parse(a.updatedAt) < +endTime);
    // Sets, not lists: within a page applications are grouped by relation.
    expect(new Set(ids)).toEqual(new Set(expected.map((a) => a._id)));
    expect(ids).toContain(all[20]!._id);
    expect(ids).not.toContain(all[45]!._id);
    expect(ids).toHaveLength(25);
  });

  it("pages through many applications that share one updatedAt without duplicates or gaps", async () => {
    const at = Date.parse("2025-08-01T08:00:00.000Z");
    const sandbox = await startSandbox({ applications: 40, now: () => at });
    const changed = sandbox.mutate({ update: 23 }).updated;
    const { client } = clientFor(sandbox);

    const { pages, ids } = await collect(client.pages({ startTime: new Date(at), endTime: FAR_FUTURE, pageSize: 5 }));

    expect(pages.map((p) => p.applicationCount)).toEqual([5, 5, 5, 5, 3]);
    expect(ids).toHaveLength(23);
    expect(new Set(ids)).toEqual(new Set(changed));
  });

  it("does not lose unchanged applications when others change while paging", async () => {
    const sandbox = await startSandbox({ applications: 60, seed: 11 });
    const before = sandbox.applications().map((r) => r.application._id);
    const { client } = clientFor(sandbox);

    const seen: string[] = [];
    let changed: string[] = [];
    for await (const page of client.pages({ startTime: EVER, endTime: new Date(), pageSize: 10 })) {
      seen.push(...page.relations.flatMap((r) => r.applications.map((a) => a._id)));
      if (page.pageIndex === 0) {
        const m = sandbox.mutate({ update: 12, remove: 3, create: 2 });
        changed = [...m.updated, ...m.removed];
      }
    }

    // Changed ones moved out of the window (the next incremental run gets them); nothing else may go missing.
    const untouched = before.filter((id) => !changed.includes(id));
    expect(seen.filter((id) => untouched.includes(id)).sort()).toEqual(untouched.sort());
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("shows removed applications as gone in the next full sync", async () => {
    const sandbox = await startSandbox({ applications: 30 });
    const { client } = clientFor(sandbox);
    const { removed, created } = sandbox.mutate({ remove: 4, create: 2 });

    const { ids } = await collect(client.pages({ startTime: EVER, endTime: FAR_FUTURE }));
    expect(ids).toHaveLength(28);
    for (const id of removed) expect(ids).not.toContain(id);
    for (const id of created) expect(ids).toContain(id);
  });
});

describe("failures and retries", () => {
  it("waits for Retry-After on 429 and then succeeds", async () => {
    const sandbox = await startSandbox({ faults: { throttleFirst: 2, retryAfterSeconds: 3 } });
    const { client, sleeps } = clientFor(sandbox);

    const relations = await client.getAllApplications(fullWindow);
    expect(relations.flatMap((r) => r.applications)).toHaveLength(50);
    expect(sleeps).toEqual([3_000, 3_000]);
    expect(sandbox.stats()).toMatchObject({ served429: 2, dataRequests: 3 });
  });

  it("caps a long Retry-After at maxDelayMs", async () => {
    const sandbox = await startSandbox({ faults: { throttleFirst: 1, retryAfterSeconds: 120 } });
    const { client, sleeps } = clientFor(sandbox, { maxDelayMs: 500 });

    await client.getAllApplications(fullWindow);
    expect(sleeps).toEqual([500]);
  });

  it("recovers from 500s with growing, jittered, capped backoff", async () => {
    const sandbox = await startSandbox({ faults: { failFirst: 4 } });
    const { client, sleeps } = clientFor(sandbox, { baseDelayMs: 100, maxDelayMs: 300 });

    const relations = await client.getAllApplications(fullWindow);
    expect(relations.flatMap((r) => r.applications)).toHaveLength(50);
    expect(sandbox.stats()).toMatchObject({ served500: 4, served200: 1 });
    // Caps 100, 200, 300, 300; each wait lies in [cap/2, cap].
    const caps = [100, 200, 300, 300];
    expect(sleeps).toHaveLength(4);
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(caps[i]! / 2);
      expect(ms).toBeLessThanOrEqual(caps[i]!);
    });
  });

  it("completes a full sync against random 429s and 500s", async () => {
    const sandbox = await startSandbox({ applications: 150, faults: { rate429: 0.3, rate500: 0.3, retryAfterSeconds: 0 } });
    const { client } = clientFor(sandbox, { maxRetries: 12 });

    const { ids } = await collect(client.pages({ startTime: EVER, endTime: FAR_FUTURE, pageSize: 20 }));
    expect(new Set(ids).size).toBe(150);
    const stats = sandbox.stats();
    expect(stats.served429 + stats.served500).toBeGreaterThan(0);
  });

  it("gives up after maxRetries with a typed http error", async () => {
    const sandbox = await startSandbox({ faults: { failFirst: 10 } });
    const { client, sleeps } = clientFor(sandbox, { maxRetries: 2 });

    const error = await hokifyError(client.getAllApplications(fullWindow));
    expect(error).toMatchObject({ kind: "http", status: 500, attempts: 3 });
    expect(error.message).toContain("getAllApplications");
    expect(sleeps).toHaveLength(2);
    expect(sandbox.stats().dataRequests).toBe(3);
  });

  it("times out slow answers per request and reports a timeout after the retries", async () => {
    const sandbox = await startSandbox({ faults: { slowMs: 1_000 } });
    const { client } = clientFor(sandbox, { timeoutMs: 100, maxRetries: 1 });
    const token = await client.getToken();

    const started = Date.now();
    const error = await hokifyError(client.getAllApplications(fullWindow));
    const elapsed = Date.now() - started;
    expect(error).toMatchObject({ kind: "timeout", attempts: 2 });
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(900);
    expect(sandbox.stats().dataRequests).toBe(2);
    expect(`${error.message} ${error.stack}`).not.toContain(token);
  });

  it("reports a network error when nothing listens", async () => {
    const sandbox = createHokifySandbox();
    await sandbox.start();
    const url = sandbox.url;
    await sandbox.stop();
    const { client, sleeps } = clientFor({ url, mandator: "sandbox", apiToken: "sandbox-token" }, { maxRetries: 1 });

    const error = await hokifyError(client.getToken());
    expect(error).toMatchObject({ kind: "network", attempts: 2 });
    expect(sleeps).toHaveLength(1);
  });

  it("treats a body that breaks the schema as a protocol error, without retrying", async () => {
    const sandbox = await startSandbox({ faults: { malformedFirst: 1 } });
    const { client } = clientFor(sandbox);

    const error = await hokifyError(client.getAllApplications(fullWindow));
    expect(error).toMatchObject({ kind: "protocol", status: 200, attempts: 1 });
    expect(error.message).toMatch(/relationId/);
    expect(sandbox.stats().dataRequests).toBe(1);
  });

  it("treats a non-JSON 200 as a protocol error", async () => {
    const sandbox = await startSandbox({ faults: { malformedFirst: 1, malformedKind: "not-json" } });
    const { client } = clientFor(sandbox);

    const error = await hokifyError(client.getAllApplications(fullWindow));
    expect(error).toMatchObject({ kind: "protocol", status: 200 });
    expect(error.message).toContain("not JSON");
  });

  it("does not retry other 4xx answers", async () => {
    const sandbox = await startSandbox();
    const { client, sleeps } = clientFor({ ...sandbox, url: `${sandbox.url}/no-such-prefix` });

    const error = await hokifyError(client.getToken());
    expect(error).toMatchObject({ kind: "http", status: 404, attempts: 1 });
    expect(sleeps).toEqual([]);
  });

  it("reads Retry-After as seconds or as an HTTP-date", () => {
    const now = Date.parse("2025-05-30T08:15:00.000Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter("Fri, 30 May 2025 08:15:09 GMT", now)).toBe(9_000);
    expect(parseRetryAfter("Fri, 30 May 2025 08:14:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("sandbox contract checks", () => {
  it("validates the bearer token and the query parameters", async () => {
    const sandbox = await startSandbox();
    const token = await clientFor(sandbox).client.getToken();
    const get = async (query: string, auth = `Bearer ${token}`) =>
      (await fetch(`${sandbox.url}/ats-api/application/getAllApplications?${query}`, { headers: { authorization: auth } }))
        .status;
    const window = "startTime=2020-01-01T00:00:00.000Z&endTime=2030-01-01T00:00:00.000Z";

    expect(await get(window)).toBe(200);
    expect(await get(window, "Bearer not-issued")).toBe(401);
    expect(await get(window, "")).toBe(401);
    expect(await get("endTime=2030-01-01T00:00:00.000Z")).toBe(400);
    expect(await get("startTime=yesterday&endTime=2030-01-01T00:00:00.000Z")).toBe(400);
    expect(await get("startTime=2030-01-01T00:00:00.000Z&endTime=2020-01-01T00:00:00.000Z")).toBe(400);
    expect(await get(`${window}&limit=0`)).toBe(400);
    expect(await get(`${window}&limit=501`)).toBe(400);
    expect(await get(`${window}&offset=-1`)).toBe(400);
    expect(await get(`${window}&offset=1.5`)).toBe(400);
  });

  it("generates the same realistic data for the same seed", () => {
    const a = createHokifySandbox({ seed: 42, applications: 200 }).applications();
    expect(createHokifySandbox({ seed: 42, applications: 200 }).applications()).toEqual(a);
    expect(createHokifySandbox({ seed: 43, applications: 200 }).applications()).not.toEqual(a);

    const perCandidate = new Map<string, number>();
    for (const r of a) perCandidate.set(r.application.user._id, (perCandidate.get(r.application.user._id) ?? 0) + 1);
    expect([...perCandidate.values()].some((n) => n > 1)).toBe(true);
    expect(new Set(a.map((r) => r.relation.relationType))).toEqual(new Set(["job", "company"]));
    for (const { application } of a) expect(application.user.general.email).toMatch(/^[a-z0-9.]+@example\.(com|net|org)$/);
  });
});

describe("webhook deliveries", () => {
  async function startReceiver() {
    const received: Array<{ path: string; headers: IncomingHttpHeaders; rawBody: string }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ path: req.url ?? "", headers: req.headers, rawBody: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ RunId: `run-${received.length}` }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
  }

  const hmacHex = (secret: string, timestamp: string, body: string) =>
    createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex");

  it("signs exactly HMAC-SHA256(secret, timestamp + '.' + body)", async () => {
    const sandbox = createHokifySandbox();
    const body = '{"deliveryId":"d-1","name":"Jürgen"}';
    const headers = await sandbox.signWebhook("s3cret", body, 1748592902);
    expect(headers["X-Hokify-Timestamp"]).toBe("1748592902");
    expect(headers["X-Hokify-Signature"]).toBe(`sha256=${hmacHex("s3cret", "1748592902", body)}`);
  });

  it("delivers a signed application.updated that verifies independently and matches the schema", async () => {
    const receiver = await startReceiver();
    const sandbox = createHokifySandbox({ applications: 20 });
    const [updated] = sandbox.mutate({ update: 1 }).updated;

    const result = await sandbox.sendWebhook({ targetUrl: receiver.origin, secret: "whsec-1", event: "application.updated" });

    expect(result).toMatchObject({ status: 202, body: { RunId: "run-1" } });
    const delivery = receiver.received[0]!;
    expect(delivery.path).toBe(WEBHOOK_PATH);
    const timestamp = String(delivery.headers["x-hokify-timestamp"]);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    const signature = String(delivery.headers["x-hokify-signature"]);
    expect(signature).toBe(`sha256=${hmacHex("whsec-1", timestamp, delivery.rawBody)}`);
    // The same check must fail for a body altered by one character or another secret.
    expect(signature).not.toBe(`sha256=${hmacHex("whsec-1", timestamp, delivery.rawBody.replace("}", " }"))}`);
    expect(signature).not.toBe(`sha256=${hmacHex("whsec-2", timestamp, delivery.rawBody)}`);

    const payload = HokifyWebhookPayloadSchema.parse(JSON.parse(delivery.rawBody));
    expect(payload).toMatchObject({ event: "application.updated", scopeId: 1, deliveryId: result.deliveryId });
    expect(payload.data.applications.map((a) => a._id)).toEqual([updated]);
    expect(payload.occurredAt).toBe(payload.data.applications[0]!.updatedAt);
  });

  it("delivers application.deleted with the removed application's last state", async () => {
    const receiver = await startReceiver();
    const sandbox = createHokifySandbox({ applications: 20 });
    const [removed] = sandbox.mutate({ remove: 1 }).removed;

    await sandbox.sendWebhook({
      targetUrl: `${receiver.origin}${WEBHOOK_PATH}`,
      secret: "whsec-1",
      event: "application.deleted",
      deliveryId: "delivery-7",
      scopeId: 3,
    });

    const payload = HokifyWebhookPayloadSchema.parse(JSON.parse(receiver.received[0]!.rawBody));
    expect(payload).toMatchObject({ event: "application.deleted", deliveryId: "delivery-7", scopeId: 3 });
    expect(payload.data.applications[0]!._id).toBe(removed);
    expect(sandbox.applications().map((r) => r.application._id)).not.toContain(removed);
  });
});
