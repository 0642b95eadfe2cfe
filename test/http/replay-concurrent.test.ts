import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, file } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { openDb } from "../support/db.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await seedCandidate(server);
  const records = Array.from({ length: 300 }, (_, i) => ({ Fields: { email: `p${i}@example.at`, first_name: `P${i}` } }));
  await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg(records)), SelectedRowIndexes: "1-300" });
});
afterAll(async () => server.close());

describe("POST /api/admin/replay, several at once (a double click, a retry)", () => {
  it("answers each with the report or 409 (never 500) and leaves the live tables whole", async () => {
    for (const query of ["", "?swap=true"]) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => server.api.send("POST", `/api/admin/replay${query}`)));
      const statuses = answers.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
      expect(statuses).toContain(200);
      for (const r of answers.filter((a) => a.status === 200)) expect(r.body.Data.Equal).toBe(true);
      for (const r of answers.filter((a) => a.status === 409)) expect(JSON.stringify(r.body)).toContain("A replay is already running");
    }
    const after = await server.api.send("POST", "/api/admin/replay");
    expect(after.status).toBe(200);
    expect(after.body.Data.Equal).toBe(true);
    expect(after.body.Data.Projections.find((p: { Projection: string }) => p.Projection === "instances").LiveRows).toBe(300);
    const db = openDb(server.dbFile);
    try {
      expect((await db.execute("SELECT name FROM sqlite_master WHERE name LIKE 'replay_%'")).rows).toEqual([]);
    } finally {
      db.close();
    }
  });
});
