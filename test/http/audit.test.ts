import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import { PLANNER, READER, client, file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { openDb } from "../support/db.js";

let server: TestServer;
let db: Client;
let planText = "";
let applyText = "";
beforeAll(async () => {
  server = await startTestServer();
  db = openDb(server.dbFile);
  await seedCandidate(server);
  const doc = pkg([{ Fields: { email: "a@example.at", first_name: "A" } }, { Fields: { email: "b@example.at" } }, { Fields: { email: "bad" } }]);
  planText = (await server.api.upload(paths.plan(), { ProfileId: "by_email", File: file(doc) })).text;
  applyText = (await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: "1-3" })).text;
  await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg([{ Fields: { email: "a@example.at", first_name: "Anna" } }])), SelectedRowIndexes: "1" });
  await server.api.post(paths.profiles(), { Key: "by_name", Name: "By name", IdentityMode: 0, IdentityFieldKey: "first_name" });
});
afterAll(async () => {
  db.close();
  await server.close();
});

describe("audit", () => {
  it("pages through the whole log with strictly increasing, gap-free positions", async () => {
    const reader = client(server.url, READER);
    const positions: number[] = [];
    let after = 0;
    for (;;) {
      const r = await reader.get(`/api/audit/events?after=${after}&limit=3`);
      expect(r.status).toBe(200);
      positions.push(...r.body.Data.Items.map((e: { Position: number }) => e.Position));
      if (r.body.Data.NextAfter === null) break;
      after = r.body.Data.NextAfter;
    }
    expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => i + 1));
    const total = Number((await db.execute("SELECT count(*) FROM events")).rows[0]![0]);
    expect(positions.length).toBe(total);
  });

  it("filters the log by type and stream", async () => {
    const applied = await server.api.get("/api/audit/events?type=ImportApplied");
    expect(applied.body.Data.Items).toHaveLength(2);
    const stream = applied.body.Data.Items[0].StreamId;
    const byStream = await server.api.get(`/api/audit/events?streamId=${stream}`);
    expect(byStream.body.Data.Items.map((e: { Type: string }) => e.Type)).toEqual(["ImportApplied"]);
    expect((await server.api.get("/api/audit/events?limit=0")).status).toBe(400);
  });

  it("lists import runs by kind, entity and time, and returns each stored result byte-for-byte", async () => {
    const all = await server.api.get("/api/audit/imports");
    expect(all.body.Data.map((r: { Kind: string }) => r.Kind)).toEqual(["apply", "apply", "plan"]);
    const plans = await server.api.get("/api/audit/imports?kind=plan&entity=Candidate");
    expect(plans.body.Data).toHaveLength(1);
    expect(plans.body.Data[0]).toMatchObject({ Kind: "plan", Summary: { TotalRows: 3, ErrorRows: 1 }, Actor: expect.stringMatching(/^tok_/) });
    const plan = await server.api.get(`/api/audit/imports/${plans.body.Data[0].RunId}`);
    expect(plan.text).toBe(planText);
    const applies = await server.api.get("/api/audit/imports?kind=apply");
    const firstApply = applies.body.Data[1];
    expect((await server.api.get(`/api/audit/imports/${firstApply.RunId}`)).text).toBe(applyText);
    expect((await server.api.get("/api/audit/imports?from=2999-01-01T00:00:00Z")).body.Data).toEqual([]);
    expect((await server.api.get("/api/audit/imports?to=2000-01-01T00:00:00%2B01:00")).body.Data).toEqual([]);
    expect((await server.api.get("/api/audit/imports/nope")).status).toBe(404);
    expect((await server.api.get("/api/audit/imports?kind=other")).status).toBe(400);
  });

  it("needs audit:read", async () => {
    expect((await client(server.url, PLANNER).get("/api/audit/events")).status).toBe(403);
  });
});

describe("replay", () => {
  it("rebuilds every projection from the log and proves it equals the live state", async () => {
    const r = await server.api.send("POST", "/api/admin/replay");
    expect(r.status).toBe(200);
    const report = r.body.Data;
    expect(report.Equal).toBe(true);
    expect(report.Swapped).toBe(false);
    expect(report.Events).toBe(Number((await db.execute("SELECT count(*) FROM events")).rows[0]![0]));
    expect(report.Projections.map((p: { Projection: string }) => p.Projection)).toEqual(["entity_definitions", "profiles", "instances", "instance_keys", "import_runs"]);
    for (const p of report.Projections) expect(p.RebuiltChecksum).toBe(p.LiveChecksum);
    expect(report.Projections.find((p: { Projection: string }) => p.Projection === "instances").LiveRows).toBe(2);
    // The by_name profile made first_name an identity field after the instances existed.
    expect(report.Projections.find((p: { Projection: string }) => p.Projection === "instance_keys").LiveRows).toBe(3);
  });

  it("detects a projection that drifted from the log, and --swap repairs it", async () => {
    await db.execute("UPDATE instances SET fields = json_set(fields, '$.first_name', 'Tampered')");
    const detect = await server.api.send("POST", "/api/admin/replay");
    expect(detect.body.Data.Equal).toBe(false);
    expect(detect.body.Data.Projections.find((p: { Equal: boolean }) => !p.Equal).Projection).toBe("instances");
    // A swap only happens after a verified rebuild: here nothing is replaced.
    const refused = await server.api.send("POST", "/api/admin/replay?swap=true");
    expect(refused.body.Data.Swapped).toBe(false);
    expect(Number((await db.execute("SELECT count(*) FROM instances WHERE fields LIKE '%Tampered%'")).rows[0]![0])).toBe(2);
  });

  it("swaps verified tables in atomically and keeps serving", async () => {
    await db.execute("UPDATE instances SET fields = json_set(fields, '$.first_name', 'Anna') WHERE fields LIKE '%a@example.at%'");
    await db.execute("UPDATE instances SET fields = json_remove(fields, '$.first_name') WHERE fields LIKE '%b@example.at%'");
    const r = await server.api.send("POST", "/api/admin/replay?swap=true");
    expect(r.body.Data).toMatchObject({ Equal: true, Swapped: true });
    const indexes = (await db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'replay_%'")).rows;
    expect(indexes).toEqual([]);
    const again = await server.api.send("POST", "/api/admin/replay");
    expect(again.body.Data.Equal).toBe(true);
    const plan = await server.api.upload(paths.plan(), { ProfileId: "by_email", File: file(pkg([{ Fields: { email: "a@example.at", first_name: "Anna" } }])) });
    expect(plan.body.Data.Rows[0].Action).toBe(2);
  });

  it("needs admin", async () => {
    expect((await client(server.url, READER).send("POST", "/api/admin/replay")).status).toBe(403);
  });
});
