import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANNER, READER, client, startTestServer, type TestServer } from "../support/server.js";
import { hokifyEnv, runImport, startSandbox } from "../support/hokify.js";
import type { HokifySandbox } from "../support/hokify-sandbox/sandbox.js";

let sandbox: HokifySandbox;
let server: TestServer;
const runs: any[] = [];
beforeAll(async () => {
  sandbox = await startSandbox({ applications: 10 });
  server = await startTestServer(hokifyEnv(sandbox));
  runs.push((await runImport(server, "scopeId=1&importMode=Full")).body);
  sandbox.mutate({ update: 3, create: 2 });
  runs.push((await runImport(server, "scopeId=1")).body);
  runs.push((await runImport(server, "scopeId=2&importMode=Full")).body);
});
afterAll(async () => {
  await server.close();
  await sandbox.stop();
});

const sum = (picked: any[], section: string, key: string) => picked.reduce((n, r) => n + (r[section][key] ?? 0), 0);

describe("GET /api/ExportImport/results", () => {
  it("sums the counters of every run in the period", async () => {
    const r = await client(server.url, READER).get("/api/ExportImport/results");
    expect(r.status).toBe(200);
    expect(r.body.StatsCounter.Runs).toBe(3);
    for (const section of ["CreatedCounts", "UpdatedCounts", "UnchangedCounts", "DeletedCounts"])
      for (const key of ["Candidate", "Job", "Application"]) expect(r.body[section][key] ?? 0, `${section}.${key}`).toBe(sum(runs, section, key));
    expect(r.body.OkCount).toBe(runs.reduce((n, x) => n + x.OkCount, 0));
    expect(r.body.StatsCounter.Fetched).toBe(runs.reduce((n, x) => n + x.StatsCounter.Fetched, 0));
    expect(r.body.CreatedCounts.Application).toBe(12);
  });

  it("filters by scope and by time (ISO or unix seconds)", async () => {
    const scope1 = await server.api.get("/api/ExportImport/results?scopeId=1");
    expect(scope1.body.StatsCounter.Runs).toBe(2);
    expect(scope1.body.UpdatedCounts.Application).toBe(sum(runs.slice(0, 2), "UpdatedCounts", "Application"));
    const future = await server.api.get("/api/ExportImport/results?from=2999-01-01T00:00:00Z");
    expect(future.body).toMatchObject({ StatsCounter: { Runs: 0 }, OkCount: 0, CreatedCounts: {} });
    const past = await server.api.get(`/api/ExportImport/results?to=${Math.floor(Date.now() / 1000) - 3600}`);
    expect(past.body.StatsCounter.Runs).toBe(0);
    const window = await server.api.get(`/api/ExportImport/results?from=${Math.floor(Date.now() / 1000) - 3600}&to=2999-01-01T00:00:00Z`);
    expect(window.body.StatsCounter.Runs).toBe(3);
  });

  it("answers CSV by Accept, and 400/403 as problem details", async () => {
    const csv = await server.api.get("/api/ExportImport/results?scopeId=2", { headers: { accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.text.split("\r\n")[0]).toBe("sep=,");
    expect(csv.text).toContain("CreatedCounts,Application,");
    const bad = await server.api.get("/api/ExportImport/results?from=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect((await client(server.url, PLANNER).get("/api/ExportImport/results")).status).toBe(403);
  });
});
