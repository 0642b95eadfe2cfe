import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createClient } from "@libsql/client";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";

const run = (dbFile: string, ...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "src/runtime/replay.ts", ...args], { env: { ...process.env, LIBSQL_URL: `file:${dbFile}` } }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  await seedCandidate(server);
  const records = Array.from({ length: 30 }, (_, i) => ({ Fields: { email: `r${i}@example.at`, age: i } }));
  await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg(records)), SelectedRowIndexes: "1-30" });
});
afterAll(() => server.close());

describe("npm run replay", () => {
  it("verifies the projections, prints counts and speed, exits 0", async () => {
    const r = await run(server.dbFile);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Replayed \d+ events .* events\/s/);
    expect(r.out).toContain("Verified: every projection equals the log.");
    const json = await run(server.dbFile, "--json");
    const report = JSON.parse(json.out);
    expect(report.Projections.find((p: { Projection: string }) => p.Projection === "instances").RebuiltRows).toBe(30);
  });

  it("exits non-zero when a projection differs from the log, and --swap does not hide it", async () => {
    const db = createClient({ url: `file:${server.dbFile}` });
    await db.execute("DELETE FROM instances WHERE id = (SELECT min(id) FROM instances)");
    db.close();
    const r = await run(server.dbFile, "--swap");
    expect(r.code).toBe(1);
    expect(r.out).toContain("DIFFERENT");
  });

  it("exits 3 and changes nothing while another replay holds the database's replay lease", async () => {
    const db = createClient({ url: `file:${server.dbFile}` });
    const until = new Date(Date.now() + 60_000).toISOString();
    await db.execute({ sql: "INSERT INTO admin_leases (name, holder, expires_at) VALUES ('replay', 'the server', ?)", args: [until] });
    try {
      const r = await run(server.dbFile, "--swap");
      expect(r.code).toBe(3);
      expect(r.err).toContain(`A replay is already running (its lease lasts until ${until}`);
      expect(r.out).toBe("");
      expect((await db.execute("SELECT holder FROM admin_leases")).rows.map((x) => x.holder)).toEqual(["the server"]);
    } finally {
      await db.execute("DELETE FROM admin_leases");
      db.close();
    }
  });
});
