import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import type { HokifySandbox } from "../support/hokify-sandbox/sandbox.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { count, openDb } from "../support/db.js";
import { IMPORT, WEBHOOK, WEBHOOK_SECRET, eventually, hokifyEnv, postWebhook, runImport, sleep, startSandbox } from "../support/hokify.js";

let sandbox: HokifySandbox;
let server: TestServer;
let db: Client;
beforeAll(async () => {
  sandbox = await startSandbox();
  server = await startTestServer(hokifyEnv(sandbox));
  db = openDb(server.dbFile);
});
afterAll(async () => {
  db.close();
  await server.close();
  await sandbox.stop();
});

const send = (opts: Partial<Parameters<HokifySandbox["sendWebhook"]>[0]> & { event: Parameters<HokifySandbox["sendWebhook"]>[0]["event"] }, target: { url: string } = server) =>
  sandbox.sendWebhook({ targetUrl: target.url, secret: WEBHOOK_SECRET, ...opts });

/** The run's report once its background import finished. */
const finishedReport = (runId: string) =>
  eventually(async () => {
    const r = await server.api.get(`/api/ExportImport/runs/${runId}/report`);
    return r.status === 200 ? r.body : undefined;
  });

async function application(hokifyId: string) {
  const r = await server.api.get("/api/workspace/entity/application/instances?limit=1000");
  return r.body.Data.Items.find((i: { Fields: { hokify_id: string } }) => i.Fields.hokify_id === hokifyId);
}
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe("POST /api/ExportImport/HokifyImport/webhook", () => {
  it("accepts a signed delivery (no bearer token) with 202 and its RunId, then imports it in the background", async () => {
    const { created } = sandbox.mutate({ create: 1 });
    const sent = await send({ event: "application.created", application: created[0] });
    expect(sent.status).toBe(202);
    const { RunId } = sent.body as { RunId: string };
    expect(RunId).toMatch(/^[0-9a-f-]{36}$/);

    const report = await finishedReport(RunId);
    expect(report).toMatchObject({ RunId, ImportMode: "Webhook", Succeeded: true, ScopeId: 1 });
    const app = report.Records.find((r: { Entity: string }) => r.Entity === "Application");
    expect(app).toMatchObject({ HokifyId: created[0], Action: "Created" });
    expect(report.Records.map((r: { Entity: string }) => r.Entity).sort()).toEqual(["Application", "Candidate", "Job"]);

    const stored = await application(created[0]!);
    const source = sandbox.applications().find((a) => a.application._id === created[0])!;
    expect(stored.Fields).toMatchObject({ contact_stage: source.application.contactStage, job_id: source.relation.relationId, scope_id: 1 });
  });

  it("answers a repeated deliveryId with the first delivery's RunId and imports nothing again", async () => {
    const { updated } = sandbox.mutate({ update: 1 });
    const first = await send({ event: "application.updated", application: updated[0], deliveryId: "delivery-repeat" });
    expect(first.status).toBe(202);
    await finishedReport((first.body as { RunId: string }).RunId);
    const events = await count(db, "SELECT count(*) FROM events");

    const again = await send({ event: "application.updated", application: updated[0], deliveryId: "delivery-repeat" });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    await sleep(200);
    expect(await count(db, "SELECT count(*) FROM events")).toBe(events);
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'HokifyImportRan' AND json_extract(data, '$.DeliveryId') = 'delivery-repeat'")).toBe(1);
  });

  it("refuses a wrong signature, a stale or future timestamp, and missing headers with 401", async () => {
    const deliveries = await count(db, "SELECT count(*) FROM hokify_webhook_deliveries");
    const wrong = await send({ event: "application.updated", secret: "not-the-secret" });
    expect(wrong.status).toBe(401);
    expect((await send({ event: "application.updated", timestamp: nowSeconds() - 301 })).status).toBe(401);
    expect((await send({ event: "application.updated", timestamp: nowSeconds() + 301 })).status).toBe(401);
    const bare = await fetch(server.url + WEBHOOK, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(bare.status).toBe(401);
    expect(bare.headers.get("content-type")).toBe("application/problem+json");
    expect(await count(db, "SELECT count(*) FROM hokify_webhook_deliveries")).toBe(deliveries);
  });

  it("answers 400 to a correctly signed body that is not a delivery", async () => {
    const notJson = await postWebhook(server, sandbox, "hello");
    expect(notJson.status).toBe(400);
    const wrongShape = await postWebhook(server, sandbox, JSON.stringify({ deliveryId: "x", event: "application.exploded" }));
    expect(wrongShape.status).toBe(400);
    expect(wrongShape.headers.get("content-type")).toBe("application/problem+json");
    expect(Object.keys(wrongShape.body.errors)).toEqual(expect.arrayContaining(["event", "data"]));
  });

  it("soft-deletes the application of an application.deleted delivery", async () => {
    await runImport(server);
    const { removed } = sandbox.mutate({ remove: 1 });
    const sent = await send({ event: "application.deleted", application: removed[0] });
    expect(sent.status).toBe(202);
    const report = await finishedReport((sent.body as { RunId: string }).RunId);
    expect(report.Records).toEqual([expect.objectContaining({ Entity: "Application", HokifyId: removed[0], Action: "Deleted" })]);
    expect((await application(removed[0]!)).Deleted).toBe(true);
  });

  it("keeps the stored state when a delivery carries an older one than already imported", async () => {
    const { application: app, relation } = sandbox.applications()[0]!;
    const older = { ...app, contactStage: "rejected", updatedAt: new Date(Date.parse(app.updatedAt) - 86_400_000).toISOString() };
    const body = JSON.stringify({ deliveryId: "late-delivery", event: "application.updated", occurredAt: older.updatedAt, data: { ...relation, applications: [older] } });
    const sent = await postWebhook(server, sandbox, body);
    const report = await finishedReport(sent.body.RunId);
    expect(report.Records.find((r: { Entity: string }) => r.Entity === "Application")).toMatchObject({ Action: "Unchanged", Message: expect.stringMatching(/newer state/) });
    expect((await application(app._id)).Fields.contact_stage).toBe(app.contactStage);
  });

  it("reports a record that fails validation as Failed, in the report and in the stored result's Exceptions", async () => {
    const { application: app, relation } = sandbox.applications()[1]!;
    const changed = { ...app, updatedAt: new Date().toISOString(), user: { ...app.user, general: { ...app.user.general, email: "not-an-address" } } };
    const body = JSON.stringify({ deliveryId: "bad-email", event: "application.updated", occurredAt: changed.updatedAt, data: { ...relation, applications: [changed] } });
    const sent = await postWebhook(server, sandbox, body);
    const report = await finishedReport(sent.body.RunId);
    expect(report.Records.find((r: { Entity: string }) => r.Entity === "Candidate")).toMatchObject({ Action: "Failed", Message: expect.stringMatching(/e-mail/) });
    expect(report.Records.find((r: { Entity: string }) => r.Entity === "Application").Action).not.toBe("Failed");

    const stored = await server.api.get(`/api/audit/imports/${sent.body.RunId}`);
    expect(stored.body.Data.ErrorCount).toBe(1);
    expect(stored.body.Data.Exceptions.Candidate[0]).toMatchObject({ ClassName: "ImportRecordException", StackTraceString: null, Data: { HokifyId: app.user._id } });
  });

  it("escapes formula-like values from Hokify in the run report CSV", async () => {
    const at = new Date().toISOString();
    const hostile = {
      deliveryId: "formula-delivery",
      event: "application.created",
      occurredAt: at,
      data: {
        relationType: "job",
        relationId: "+cmd|' /C calc'!A0",
        sourceId: "-2+3",
        applications: [{ _id: '=HYPERLINK("http://evil.example","x")', createdAt: at, updatedAt: at, user: { _id: "@SUM(1+1)", displayName: "=1+1" } }],
      },
    };
    const sent = await postWebhook(server, sandbox, JSON.stringify(hostile));
    expect(sent.status).toBe(202);
    await finishedReport(sent.body.RunId);

    const csv = await server.api.get(`/api/ExportImport/runs/${sent.body.RunId}/report`, { headers: { accept: "text/csv" } });
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("sep=,");
    expect(lines.find((l) => l.startsWith("Candidate,"))).toMatch(/^Candidate,'@SUM\(1\+1\),[0-9a-f-]{36},Created,$/);
    expect(lines.find((l) => l.startsWith("Job,"))).toMatch(/^Job,'\+cmd\|' \/C calc'!A0,/);
    expect(lines.find((l) => l.startsWith("Application,"))).toMatch(/^Application,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",/);
    // No cell of the file starts with a formula character unescaped.
    for (const line of lines.slice(1)) expect(line).not.toMatch(/(^|,)[=+\-@]/);
  });

  it("remembers deliveries across restarts and finishes background imports before closing", async () => {
    const restarted = await startTestServer({ ...hokifyEnv(sandbox), LIBSQL_URL: `file:${server.dbFile}` });
    try {
      const first = await count(db, "SELECT count(*) FROM hokify_webhook_deliveries WHERE delivery_id = 'delivery-repeat'");
      expect(first).toBe(1);
      const again = await send({ event: "application.updated", deliveryId: "delivery-repeat" }, restarted);
      expect(again.status).toBe(202);
      const original = await db.execute("SELECT run_id FROM hokify_webhook_deliveries WHERE delivery_id = 'delivery-repeat'");
      expect((again.body as { RunId: string }).RunId).toBe(String(original.rows[0]!.run_id));

      // Accepted just before shutdown: their imports are still running when close() is called.
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => send({ event: "application.updated", deliveryId: `before-shutdown-${i}` }, restarted)));
      expect(burst.map((r) => r.status)).toEqual(new Array(10).fill(202));
    } finally {
      await restarted.close();
    }
    // close() waited for every background import: each run is in the log.
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'HokifyImportRan' AND json_extract(data, '$.DeliveryId') LIKE 'before-shutdown-%'")).toBe(10);
  });
});

describe("without Hokify configuration", () => {
  let bare: TestServer;
  beforeAll(async () => {
    bare = await startTestServer();
  });
  afterAll(() => bare.close());

  it("answers 503 problem details for the import and the webhook", async () => {
    const r = await bare.api.get(IMPORT);
    expect(r.status).toBe(503);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body.detail).toMatch(/HOKIFY_BASE_URL/);
    const hook = await sandbox.sendWebhook({ targetUrl: bare.url, secret: WEBHOOK_SECRET, event: "application.updated" });
    expect(hook.status).toBe(503);
    expect((hook.body as { detail: string }).detail).toMatch(/HOKIFY_WEBHOOK_SECRET/);
  });
});
