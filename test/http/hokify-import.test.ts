import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import type { HokifySandbox } from "../support/hokify-sandbox/sandbox.js";
import { PLANNER, READER, startTestServer, type TestServer } from "../support/server.js";
import { count, openDb } from "../support/db.js";
import { hokifyEnv, reportPath, runImport, sleep, startSandbox } from "../support/hokify.js";

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

type Counts = { Candidate: number; Job: number; Application: number };
const zero: Counts = { Candidate: 0, Job: 0, Application: 0 };

async function instances(entity: string): Promise<any[]> {
  const r = await server.api.get(`/api/workspace/entity/${entity}/instances?limit=1000`);
  return r.body.Data.Items;
}
const byHokifyId = async (entity: string, id: string) => (await instances(entity)).find((i) => i.Fields.hokify_id === id);
const instanceEvents = () => count(db, "SELECT count(*) FROM events WHERE type LIKE 'Instance%'");
const maxUpdatedAt = () => Math.max(...sandbox.applications().map((r) => Date.parse(r.application.updatedAt)));

describe("GET /api/ExportImport/HokifyImport", () => {
  it("imports every application on the first run, creating the definitions and profiles it needs as events", async () => {
    const apps = sandbox.applications();
    const candidates = new Set(apps.map((r) => r.application.user._id));
    const jobs = new Set(apps.map((r) => r.relation.relationId));

    const r = await runImport(server);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    const res = r.body;
    expect(Object.keys(res)).toEqual(["CreatedCounts", "UpdatedCounts", "DeletedCounts", "UnchangedCounts", "Exceptions", "DownloadUrl", "OkCount", "ErrorCount", "StatsCounter"]);
    expect(res.CreatedCounts).toEqual({ Candidate: candidates.size, Job: jobs.size, Application: 12 });
    expect(res.UpdatedCounts).toEqual(zero);
    expect(res.DeletedCounts).toEqual(zero);
    expect(res.UnchangedCounts).toEqual(zero);
    expect(res.Exceptions).toEqual({});
    expect(res.OkCount).toBe(candidates.size + jobs.size + 12);
    expect(res.ErrorCount).toBe(0);
    // Page size 5: 5 + 5 + 2.
    expect(res.StatsCounter).toMatchObject({ Fetched: 12, Pages: 3 });
    expect(res.StatsCounter.DurationMs).toBeGreaterThanOrEqual(0);
    expect(res.DownloadUrl).toMatch(new RegExp(`^${server.url}/api/ExportImport/runs/[0-9a-f-]{36}/report$`));

    for (const key of ["candidate", "job", "application"]) {
      const def = await server.api.get(`/api/workspace/entity-definitions/${key}`);
      expect(def.status, key).toBe(200);
      expect(def.body.Data.Fields.map((f: { Key: string }) => f.Key)).toContain("hokify_id");
      const profile = await server.api.get(`/api/workspace/entity/${key}/data-transfer/profiles/hokify`);
      expect(profile.body.Data).toMatchObject({ ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "hokify_id" });
    }
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'EntityDefinitionCreated'")).toBe(3);
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportProfileCreated'")).toBe(3);
    // One event per created record, and one run event projected into import_runs.
    expect(await instanceEvents()).toBe(res.OkCount);
    expect(await count(db, "SELECT count(*) FROM import_runs WHERE kind = 'hokify' AND scope_id = 1")).toBe(1);
  });

  it("stores each application with its links, stage, times and scope", async () => {
    const { application, relation } = sandbox.applications()[3]!;
    const stored = await byHokifyId("application", application._id);
    expect(stored.Fields).toMatchObject({
      hokify_id: application._id,
      candidate_id: application.user._id,
      job_id: relation.relationId,
      contact_stage: application.contactStage,
      created_at: application.createdAt,
      updated_at: application.updatedAt,
      scope_id: 1,
    });
    const candidate = await byHokifyId("candidate", application.user._id);
    expect(candidate.Fields).toMatchObject({ first_name: application.user.general.firstName, email: application.user.general.email });
    const job = await byHokifyId("job", relation.relationId);
    expect(job.Fields).toMatchObject({ source_id: relation.sourceId, relation_type: relation.relationType });
  });

  it("fetches only what changed since the high-water mark on the next Incremental run", async () => {
    const mark = maxUpdatedAt();
    const atMark = sandbox.applications().filter((r) => Date.parse(r.application.updatedAt) === mark).map((r) => r.application._id);
    const before = sandbox.stats();
    const change = sandbox.mutate({ update: 2, create: 1 });
    await sleep(5); // the run's window ends at "now", exclusive

    const r = await runImport(server, "importMode=Incremental");
    expect(r.status).toBe(200);
    // The mark is inclusive, so applications sharing its exact millisecond are read again (and are Unchanged).
    const boundary = atMark.filter((id) => !change.updated.includes(id));
    expect(r.body.StatsCounter.Fetched).toBe(3 + boundary.length);
    expect(r.body.CreatedCounts.Application).toBe(1);
    expect(r.body.UpdatedCounts.Application).toBe(2);
    expect(r.body.UnchangedCounts.Application).toBe(boundary.length);
    expect(sandbox.stats().served200 - before.served200).toBe(1);

    const updated = sandbox.applications().find((a) => a.application._id === change.updated[0])!;
    expect((await byHokifyId("application", updated.application._id)).Fields.contact_stage).toBe(updated.application.contactStage);
  });

  it("counts records equal to the stored state as Unchanged and writes no event for them", async () => {
    const events = await instanceEvents();
    const r = await runImport(server, "unixSecondsFrom=0");
    expect(r.status).toBe(200);
    expect(r.body.StatsCounter.Fetched).toBe(13);
    expect(r.body.UnchangedCounts.Application).toBe(13);
    expect(r.body.CreatedCounts).toEqual(zero);
    expect(r.body.UpdatedCounts).toEqual(zero);
    expect(await instanceEvents()).toBe(events);
  });

  it("takes unixSecondsFrom as the window's start (decimals allowed)", async () => {
    const r = await runImport(server, `unixSecondsFrom=${(maxUpdatedAt() + 1) / 1000}`);
    expect(r.status).toBe(200);
    expect(r.body.StatsCounter).toMatchObject({ Fetched: 0, Pages: 0 });
  });

  it("soft-deletes in Full mode the scope's applications Hokify no longer lists", async () => {
    const { removed } = sandbox.mutate({ remove: 2 });
    const r = await runImport(server, "importMode=full");
    expect(r.status).toBe(200);
    expect(r.body.DeletedCounts).toEqual({ Candidate: 0, Job: 0, Application: 2 });
    expect(r.body.StatsCounter.Fetched).toBe(11);
    for (const id of removed) {
      const gone = (await instances("application")).find((i) => i.Fields.hokify_id === id);
      expect(gone.Deleted).toBe(true);
    }
    const report = await server.api.get(reportPath(r.body.DownloadUrl));
    expect(report.body.Records.filter((x: { Action: string }) => x.Action === "Deleted").map((x: { HokifyId: string }) => x.HokifyId).sort()).toEqual([...removed].sort());

    // importMode=1 is Full too; nothing is left to delete.
    const again = await runImport(server, "importMode=1");
    expect(again.body.DeletedCounts.Application).toBe(0);
    expect(again.body.UnchangedCounts.Application).toBe(11);
  });

  it("answers the result as CSV with a sep=, line, or as text/json, by Accept", async () => {
    const csv = await runImport(server, "", { accept: "text/csv" });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("sep=,");
    expect(lines[1]).toBe("Section,Key,Value");
    expect(lines).toContain("CreatedCounts,Candidate,0");
    expect(lines).toContain("UpdatedCounts,Application,0");
    expect(lines.some((l) => /^UnchangedCounts,Application,\d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^Result,DownloadUrl,http:\/\/127\.0\.0\.1:\d+\/api\/ExportImport\/runs\/.+\/report$/.test(l))).toBe(true);
    expect(lines).toContain("Result,ErrorCount,0");
    expect(lines.some((l) => l.startsWith("StatsCounter,Fetched,"))).toBe(true);

    const textJson = await runImport(server, "", { accept: "text/json" });
    expect(textJson.headers.get("content-type")).toMatch(/^text\/json/);
    expect(textJson.body.ErrorCount).toBe(0);
  });

  it("serves the run's per-record report as JSON or CSV, to auditors too", async () => {
    sandbox.mutate({ update: 1 });
    await sleep(5);
    const run = await runImport(server);
    const path = reportPath(run.body.DownloadUrl);

    const json = await server.api.get(path, { token: READER });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ ScopeId: 1, ImportMode: "Incremental", Succeeded: true });
    expect(json.body.Records.length).toBe(run.body.OkCount + run.body.ErrorCount);
    const updated = json.body.Records.find((x: { Action: string; Entity: string }) => x.Entity === "Application" && x.Action === "Updated");
    expect(updated).toMatchObject({ HokifyId: expect.any(String), InstanceId: expect.stringMatching(/^[0-9a-f-]{36}$/), Message: null });

    const csv = await server.api.get(path, { headers: { accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines.slice(0, 2)).toEqual(["sep=,", "Entity,HokifyId,InstanceId,Action,Message"]);
    expect(lines).toHaveLength(json.body.Records.length + 2);
    expect(lines).toContain(`Application,${updated.HokifyId},${updated.InstanceId},Updated,`);

    expect((await server.api.get(path, { token: PLANNER })).status).toBe(403);
    const missing = await server.api.get("/api/ExportImport/runs/no-such-run/report");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
  });

  it("recovers from 429 and 500 answers by retrying", async () => {
    sandbox.mutate({ update: 1 });
    await sleep(5);
    const before = sandbox.stats();
    sandbox.setFaults({ throttleFirst: 1, failFirst: 1, retryAfterSeconds: 0 });
    try {
      const r = await runImport(server);
      expect(r.status).toBe(200);
      expect(r.body.Exceptions).toEqual({});
      expect(r.body.ErrorCount).toBe(0);
      expect(r.body.UpdatedCounts.Application).toBe(1);
      const after = sandbox.stats();
      expect(after.served429 - before.served429).toBe(1);
      expect(after.served500 - before.served500).toBe(1);
    } finally {
      sandbox.setFaults({});
    }
  });

  it("reports a Hokify failure after exhausted retries in Exceptions with 200, and does not move the high-water mark", async () => {
    const { updated } = sandbox.mutate({ update: 1 });
    await sleep(5);
    sandbox.setFaults({ failFirst: 3 }); // HOKIFY_MAX_RETRIES=2: three attempts, all 500
    let failed;
    try {
      failed = await runImport(server);
    } finally {
      sandbox.setFaults({});
    }
    expect(failed.status).toBe(200);
    expect(failed.body.ErrorCount).toBe(1);
    expect(failed.body.OkCount).toBe(0);
    expect(Object.keys(failed.body.Exceptions)).toEqual(["Hokify"]);
    const [e] = failed.body.Exceptions.Hokify;
    expect(Object.keys(e)).toEqual(["ClassName", "Message", "Data", "InnerException", "HelpURL", "StackTraceString", "RemoteStackTraceString", "RemoteStackIndex", "ExceptionMethod", "HResult", "Source", "WatsonBuckets"]);
    expect(e).toMatchObject({ ClassName: "HokifyError", StackTraceString: null, InnerException: null, Data: { Kind: "http", Status: 500, Attempts: 3 } });
    expect(e.Message).toMatch(/getAllApplications answered 500/);
    expect(e.Message).not.toContain(sandbox.apiToken);

    // The next run starts from the same mark and picks the change up.
    const next = await runImport(server);
    expect(next.body.UpdatedCounts.Application).toBe(1);
    const report = await server.api.get(reportPath(next.body.DownloadUrl));
    expect(report.body.Records.some((x: { HokifyId: string; Action: string }) => x.HokifyId === updated[0] && x.Action === "Updated")).toBe(true);
  });

  it.each([
    ["scopeId=0", "scopeId"],
    ["scopeId=abc", "scopeId"],
    ["scopeId=1.5", "scopeId"],
    ["importMode=Sometimes", "importMode"],
    ["importMode=2", "importMode"],
    ["unixSecondsFrom=-5", "unixSecondsFrom"],
    ["unixSecondsFrom=abc", "unixSecondsFrom"],
    ["unixSecondsFrom=1e9", "unixSecondsFrom"],
  ])("refuses %s with 400 problem details naming the parameter", async (query, field) => {
    const r = await runImport(server, query);
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toMatchObject({ status: 400, title: "Bad Request", instance: "/api/ExportImport/HokifyImport" });
    expect(Object.keys(r.body.errors)).toEqual([field]);
  });

  it("needs a token with the hokify:run scope", async () => {
    expect((await server.api.get("/api/ExportImport/HokifyImport", { token: null })).status).toBe(401);
    expect((await server.api.get("/api/ExportImport/HokifyImport", { token: PLANNER })).status).toBe(403);
  });

  it("documents the route, its result and its parameters in OpenAPI", async () => {
    const doc = (await server.api.get("/openapi.json")).body;
    const op = doc.paths["/api/ExportImport/HokifyImport"].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "400", "409", "503"]));
    expect(Object.keys(op.responses["200"].content)).toEqual(["application/json", "text/json", "text/csv"]);
    const importMode = op.parameters.find((p: { name: string }) => p.name === "importMode");
    expect(importMode.description).toContain("Incremental|Full or 0|1");
    expect(Object.keys(doc.components.schemas.ExportImportResult.properties)).toEqual(["CreatedCounts", "UpdatedCounts", "DeletedCounts", "UnchangedCounts", "Exceptions", "DownloadUrl", "OkCount", "ErrorCount", "StatsCounter"]);
    expect(doc.components.schemas.ExportImportResult.example).toBeDefined();
    expect(doc.paths["/api/ExportImport/runs/{runId}/report"].get).toBeDefined();
    expect(doc.paths["/api/ExportImport/HokifyImport/webhook"].post.security).toEqual([]);
  });

  it("leaves a log that replays to the same projections, Hokify runs included", async () => {
    const r = await server.api.send("POST", "/api/admin/replay");
    expect(r.status).toBe(200);
    expect(r.body.Data.Equal).toBe(true);
    expect(r.body.Data.Projections.find((p: { Projection: string }) => p.Projection === "import_runs").LiveRows).toBeGreaterThan(5);
  });

  it("never runs two imports of one scope at once: the second gets 409 while the first runs", async () => {
    sandbox.setFaults({ slowMs: 400 });
    try {
      const first = runImport(server);
      await sleep(150);
      const second = await runImport(server);
      expect(second.status).toBe(409);
      expect(second.headers.get("content-type")).toBe("application/problem+json");
      expect(second.body.detail).toMatch(/scope 1 is running/);
      expect((await first).status).toBe(200);
      // Once it finished, the scope is free again.
      expect((await runImport(server)).status).toBe(200);
    } finally {
      sandbox.setFaults({});
    }
  });
});
