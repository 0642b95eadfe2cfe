import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { count, openDb } from "../support/db.js";

/**
 * Runs bigger than a response (10,000 rows): the upload streams through the record spool, the
 * answer carries the first rows and a RowsUrl, and every row can be paged from the log. The
 * server keeps only ~100 KB of an upload in memory, so these packages (≈ 1 MB) also take the
 * path of a 1M-record file: chunks spilled to a temp file between the two passes.
 */
let server: TestServer;
let db: Client;
const spoolDir = mkdtempSync(join(tmpdir(), "big-runs-spool-"));
/** Open descriptors of this process (the server runs in it) on spool files. */
const openSpoolFiles = () =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(spoolDir);
    } catch {
      return false;
    }
  }).length;
afterAll(() => rmSync(spoolDir, { recursive: true, force: true }));

const N = 12_345;
// Rows 3 and 12,000 share an identity, in different chunks of the spool: both are errors
// (12,000 also has a bad age, like every 1,000th row): 13 error rows.
const emailOf = (i: number) => (i === 12_000 ? "twin3@example.at" : `person${i}@example.at`);
const records = Array.from({ length: N }, (_, k) => {
  const i = k + 1;
  return { Fields: { email: i === 3 ? "TWIN3@example.at " : emailOf(i), first_name: `P${i}`, age: i % 1000 === 0 ? "not a number" : i % 90 } };
});

type Row = { RowIndex: number; Status: number; Errors: { Code: string }[] };

/** Whether the run's last event stores its result with a `Rows` member. */
async function storedResultHasRows(runId: string, type: "ImportPlanned" | "ImportApplied"): Promise<boolean> {
  const r = await db.execute({ sql: "SELECT data ->> '$.ResultJson' AS result FROM events WHERE type = ? AND stream_id LIKE '%' || ?", args: [type, runId] });
  return Object.hasOwn(JSON.parse(String(r.rows[0]!.result)) as object, "Rows");
}

async function allRows(url: string, limit: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (let after: number | null = 0; after !== null; ) {
    const page = await server.api.get(`${url}?after=${after}&limit=${limit}`);
    expect(page.status).toBe(200);
    rows.push(...page.body.Data.Items);
    after = page.body.Data.NextAfter;
  }
  return rows;
}

// Both ends of the Node server's modes: writes on the database thread (the default; the apply
// pipelines its commits there) with plans and first passes on two threads (PLAN_THREAD=true),
// and everything on the main thread.
describe.each([
  ["", { PLAN_THREAD: "true" }],
  [", database and plans on the main thread only", { LIBSQL_THREAD: "false", PLAN_THREAD: "false" }],
])("runs bigger than a response%s", (_, env: Record<string, string>) => {
  beforeAll(async () => {
    server = await startTestServer({ SPOOL_DIR: spoolDir, SPOOL_MEMORY_BYTES: "100000", ...env });
    db = openDb(server.dbFile);
    await seedCandidate(server);
  });
  afterAll(async () => {
    db.close();
    await server.close();
  });

  it("a plan answers with the first 10,000 rows and pages through all of them, duplicates found across the whole file", async () => {
    const r = await server.api.upload(paths.plan(), { ProfileId: "by_email", File: file(pkg(records)) });
    expect(r.status).toBe(200);
    const plan = r.body.Data;
    expect(plan.Rows).toHaveLength(10_000);
    expect(plan.RowsComplete).toBe(false);
    expect(plan.RowsUrl).toBe(`/api/audit/imports/${plan.PlanId}/rows`);
    expect(plan.Summary).toMatchObject({ TotalRows: N, ErrorRows: 12 + 1, CreateRows: N - 2 });

    const rows = await allRows(plan.RowsUrl, 3000);
    expect(rows.map((x) => x.RowIndex)).toEqual(Array.from({ length: N }, (_, k) => k + 1));
    expect(rows.slice(0, 10_000)).toEqual(plan.Rows);
    for (const i of [3, 12_000]) expect(rows[i - 1]!.Errors.map((e) => e.Code)).toContain("duplicate_identity_in_file");
    expect(rows.filter((x) => x.Status === 2)).toHaveLength(13);

    // The spilled chunks are gone with the request: no descriptor open, nothing in SPOOL_DIR.
    expect(openSpoolFiles()).toBe(0);
    expect(readdirSync(spoolDir)).toEqual([]);

    // The log keeps the rows once: ImportPlanned stores the plan without them, and the audit
    // endpoint puts the first 10,000 back, byte for byte what the client got.
    expect(await storedResultHasRows(plan.PlanId, "ImportPlanned")).toBe(false);
    const stored = await server.api.get(`/api/audit/imports/${plan.PlanId}`);
    expect(stored.text).toContain(`"RowsComplete":false`);
    expect(stored.text).toBe(r.text);
    expect(stored.body.Data).toEqual(plan);
  });

  it("an apply records every row in the commits that make its changes, and pages them back", async () => {
    const r = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg(records)), SelectedRowIndexes: `1-${N}` });
    expect(r.status).toBe(200);
    const result = r.body.Data;
    expect(result.Summary).toMatchObject({ SelectedRows: N, AppliedRows: N - 13, FailedRows: 13, CreateRows: N - 2 });
    expect(result.Rows).toHaveLength(10_000);
    const rows = await allRows(result.RowsUrl, 10_000);
    expect(rows).toHaveLength(N);
    expect(rows.slice(0, 10_000)).toEqual(result.Rows);
    expect(await count(db, "SELECT count(*) FROM instances")).toBe(N - 13);
    // Each slice of rows was committed with the changes it reports.
    const slices = await count(db, `SELECT count(*) FROM events WHERE type = 'ImportRowsRecorded' AND stream_id LIKE '%${result.ApplyId}'`);
    expect(slices).toBeGreaterThanOrEqual(Math.ceil(N / 2000));
    expect(await storedResultHasRows(result.ApplyId, "ImportApplied")).toBe(false);
    expect((await server.api.get(`/api/audit/imports/${result.ApplyId}`)).text).toBe(r.text);
  });

  it("pages stop where asked and a small run pages from its stored result", async () => {
    const small = await server.api.upload(paths.plan(), { ProfileId: "by_email", File: file(pkg(records.slice(0, 5))) });
    expect(small.body.Data.RowsComplete).toBeUndefined();
    expect(small.body.Data.RowsUrl).toBeUndefined();
    const page = await server.api.get(`/api/audit/imports/${small.body.Data.PlanId}/rows?after=2&limit=2`);
    expect(page.body.Data.Items.map((x: Row) => x.RowIndex)).toEqual([3, 4]);
    expect(page.body.Data.NextAfter).toBe(4);
    const last = await server.api.get(`/api/audit/imports/${small.body.Data.PlanId}/rows?after=4&limit=2`);
    expect(last.body.Data).toMatchObject({ NextAfter: null });
    expect((await server.api.get(`/api/audit/imports/nope/rows`)).status).toBe(404);
    expect((await server.api.get(`/api/audit/imports/${small.body.Data.PlanId}/rows?limit=0`)).status).toBe(400);
  });

  it("a record broken near the end of a big file refuses the whole apply and writes nothing", async () => {
    const before = await count(db, "SELECT count(*) FROM events");
    const text = JSON.stringify(pkg(records.map((x) => ({ Fields: { ...x.Fields, email: `new-${x.Fields.email}` } }))));
    const broken = text.replace(`"P12300"`, `"P12300" x`);
    const r = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(broken), SelectedRowIndexes: `1-${N}` });
    expect(r.status).toBe(400);
    expect(r.body.Errors[0].Code).toBe("invalid_package");
    expect(r.body.Errors[0].Message).toMatch(/not valid JSON \(in Records 12001–12345/);
    const outOfRange = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(text), SelectedRowIndexes: `1-${N + 1}` });
    expect(outOfRange.status).toBe(400);
    expect(await count(db, "SELECT count(*) FROM events")).toBe(before);
    expect(openSpoolFiles()).toBe(0);
  });
});
