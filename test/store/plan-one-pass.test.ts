import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { besideConnection } from "../../src/runtime/split-client.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { planRows } from "../../src/services/plan.service.js";
import { resolveTarget } from "../../src/services/import-context.js";
import { spoolText, uploadOfText } from "../../src/import/package-spool.js";
import type { PlanRow } from "../../src/schemas/transfer.js";
import { countIssueCategories, summarizePlan } from "../../src/import/summaries.js";
import { BY_EMAIL, CANDIDATE } from "../support/fixtures.js";
import { allRunRows } from "../support/run-rows.js";
import { planImport } from "../../src/services/plan.service.js";
import { BUSY_TIMEOUT_MS } from "../../src/runtime/open-database.js";
import { createPlanThread, type PlanThread } from "../../src/runtime/plan-thread.js";
import type { ChunkWorker } from "../../src/services/chunk-work.js";

/**
 * A plan of up to KEEP_RECORDS_UP_TO records is read once and fixes up duplicate identities at
 * the end; bigger ones take two passes. Both must give the same rows, row for row.
 */
let dir: string;
let store: EventStore;
let n = 0;
const deps = () => ({ store, now: () => new Date("2026-11-23T00:00:00.000Z"), newId: () => `id-${++n}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "plan-one-pass-"));
  store = createLibsqlEventStore(await openDatabase(`file:${join(dir, "db.db")}`));
  expect((await createDefinition(deps(), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(deps(), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  // Existing: person0 … person999.
  const seed = Array.from({ length: 1000 }, (_, i) => ({ Fields: { email: `person${i}@example.at`, first_name: `P${i}`, last_name: "L", age: i % 90 } }));
  expect((await applyImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(seed)), "1-1000")).ok).toBe(true);
});
/** The same file opened as the Node server opens it: writes and queryBeside on the database thread. */
let threaded: EventStore | null = null;
async function besideStore(): Promise<EventStore> {
  if (threaded) return threaded;
  const client = await openDatabase(`file:${join(dir, "db.db")}`, undefined, { thread: true });
  return (threaded = createLibsqlEventStore(client, { beside: besideConnection(client) ?? undefined }));
}

/** The Node server's plan thread on the same file; `plannedAway` counts the chunks it planned. */
let planThread: PlanThread | null = null;
let plannedAway = 0;
function awayPlanner(): ChunkWorker {
  planThread ??= createPlanThread({ url: `file:${join(dir, "db.db")}`, timeout: BUSY_TIMEOUT_MS });
  const thread = planThread;
  return {
    plan: async (...args) => {
      const r = await thread.plan(...args);
      plannedAway++;
      return r;
    },
    scan: thread.scan,
  };
}

afterAll(async () => {
  await planThread?.close();
  await threaded?.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rowsOf(records: unknown[], onePassUpTo: number, on: EventStore = store, chunkWorker?: ChunkWorker): Promise<PlanRow[]> {
  const resolved = await resolveTarget(deps(), CANDIDATE.Key, BY_EMAIL.Key);
  if (!resolved.ok) throw new Error("no target");
  const spool = spoolText(pkgText(records), 64);
  if (!spool.ok) throw new Error("no spool");
  const planned = await planRows({ ...deps(), store: on, chunkWorker }, resolved.target, spool.spool, onePassUpTo);
  if (!planned.ok) throw new Error(JSON.stringify(planned.errors));
  const out: PlanRow[] = [];
  for await (const chunk of planned.chunks) out.push(...chunk);
  return out;
}

describe("plan rows in one pass", () => {
  it("equal the two-pass rows: duplicates across chunks (existing or new, with other errors), updates, skips, creates", async () => {
    const N = 5_000;
    const records = Array.from({ length: N }, (_, k) => {
      const i = k + 1;
      // Every 7th row repeats an identity from ~2,100 rows before (another chunk); every 500th is
      // also invalid; rows 1…1,500 hit existing instances, changed on every 3rd.
      const who = i % 7 === 0 && i > 2100 ? i - 2100 : i;
      const fields: Record<string, unknown> = { email: who <= 1000 ? `person${who - 1}@example.at` : `new${who}@example.at`, first_name: `P${who - 1}`, last_name: "L" };
      if (who <= 1000) fields.age = i % 3 === 0 ? 99 : (who - 1) % 90;
      if (i % 500 === 0) fields.age = "not a number";
      if (i % 900 === 0) fields.last_name = null;
      if (i % 1100 === 0) fields.unknown_thing = 1;
      return i % 1300 === 0 ? { Fields: { first_name: "no identity" } } : { Fields: fields };
    });
    const onePass = await rowsOf(records, 250_000);
    const twoPass = await rowsOf(records, 0);
    expect(onePass).toHaveLength(N);
    expect(JSON.stringify(onePass)).toBe(JSON.stringify(twoPass));
    // The Node server's store looks them up on its database thread, one chunk ahead: the same rows.
    const beside = await besideStore();
    expect(beside.queryBeside).toBeDefined();
    expect(JSON.stringify(await rowsOf(records, 250_000, beside))).toBe(JSON.stringify(onePass));
    // With the plan thread planning some chunks (on its own connection): the same rows.
    plannedAway = 0;
    expect(JSON.stringify(await rowsOf(records, 250_000, beside, awayPlanner()))).toBe(JSON.stringify(onePass));
    expect(plannedAway).toBeGreaterThan(0);
    plannedAway = 0;
    expect(JSON.stringify(await rowsOf(records, 250_000, store, awayPlanner()))).toBe(JSON.stringify(onePass));
    expect(plannedAway).toBeGreaterThan(0);
    const dups = onePass.filter((r) => r.Errors.some((e) => e.Code === "duplicate_identity_in_file"));
    expect(dups.length).toBeGreaterThan(300);
    expect(dups.some((r) => r.Errors.length > 1)).toBe(true);
    expect(new Set(onePass.map((r) => r.Action))).toEqual(new Set([0, 1, 2]));
  });

  it("refuses a file with a broken chunk the same way", async () => {
    const resolved = await resolveTarget(deps(), CANDIDATE.Key, BY_EMAIL.Key);
    if (!resolved.ok) throw new Error("no target");
    const text = pkgText(Array.from({ length: 4500 }, (_, i) => ({ Fields: { email: `x${i}@example.at` } }))).replace('"x4100@example.at"', '"x4100@example.at\u0001"');
    const spool = spoolText(text, 64);
    if (!spool.ok) throw new Error("no spool");
    const one = await planRows(deps(), resolved.target, spool.spool, 250_000);
    const two = await planRows(deps(), resolved.target, spool.spool, 0);
    const ahead = await planRows({ ...deps(), store: await besideStore() }, resolved.target, spool.spool, 250_000);
    expect(one.ok).toBe(false);
    expect(one).toEqual(two);
    expect(ahead).toEqual(one);
    expect(await planRows({ ...deps(), chunkWorker: awayPlanner() }, resolved.target, spool.spool, 250_000)).toEqual(one);
  });

  it("with the plan thread, refuses for the first broken chunk in file order, whichever thread read it", async () => {
    const resolved = await resolveTarget(deps(), CANDIDATE.Key, BY_EMAIL.Key);
    if (!resolved.ok) throw new Error("no target");
    const records = pkgText(Array.from({ length: 9_000 }, (_, i) => ({ Fields: { email: `y${i}@example.at` } })));
    // Broken in chunk 0 only, in chunk 3 only, in chunks 1 and 4.
    for (const broken of [[10], [6_500], [2_100, 8_500]]) {
      const text = broken.reduce((t, i) => t.replace(`"y${i}@example.at"`, `"y${i}@example.at\u0001"`), records);
      const spool = spoolText(text, 64);
      if (!spool.ok) throw new Error("no spool");
      const here = await planRows(deps(), resolved.target, spool.spool, 250_000);
      expect(here.ok).toBe(false);
      expect(JSON.stringify(here)).toContain(`Records ${Math.floor(broken[0]! / 2000) * 2000 + 1}`);
      expect(await planRows({ ...deps(), chunkWorker: awayPlanner() }, resolved.target, spool.spool, 250_000)).toEqual(here);
    }
  });

  it("plans every chunk here when the plan thread has stopped: the same rows", async () => {
    const records = Array.from({ length: 4_500 }, (_, i) => ({ Fields: { email: i % 1000 === 7 ? "twice@example.at" : `z${i}@example.at`, first_name: "Z" } }));
    const expected = JSON.stringify(await rowsOf(records, 250_000));
    const stopped = createPlanThread({ url: `file:${join(dir, "db.db")}`, timeout: BUSY_TIMEOUT_MS });
    await stopped.close();
    expect(JSON.stringify(await rowsOf(records, 250_000, store, stopped))).toBe(expected);
  });
});

describe("plan rows in the log", () => {
  it("a big plan stores, counts and answers the rows the two-pass plan decides, duplicates of the response's head past it too", async () => {
    // 14,500 rows: rows past 10,000 repeat identities of the head (rows 10,001…10,400 repeat
    // 1…400) and of each other (every 9th row past 12,000 repeats the row 1,500 before it); some
    // are invalid too, so a duplicate keeps its own errors.
    const records = Array.from({ length: 14_500 }, (_, k) => {
      const i = k + 1;
      const who = i > 10_000 && i <= 10_400 ? i - 10_000 : i > 12_000 && i % 9 === 0 ? i - 1_500 : i;
      return { Fields: { email: `q${who}@example.at`, first_name: i % 613 === 0 ? "X".repeat(101) : "Q", last_name: "L" } };
    });
    const planned = await planImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(records)));
    if (!planned.ok) throw new Error("plan failed");
    const expected = await rowsOf(records, 0);
    const paged = await allRunRows(deps(), planned.plan.PlanId);
    expect(JSON.stringify(paged)).toBe(JSON.stringify(expected));
    expect(JSON.stringify(planned.plan.Rows)).toBe(JSON.stringify(expected.slice(0, 10_000)));
    expect(planned.plan.Summary).toEqual(summarizePlan(expected));
    expect(planned.plan.IssueCategories).toEqual(countIssueCategories(expected));
    const dups = expected.filter((r) => r.Errors.some((e) => e.Code === "duplicate_identity_in_file"));
    expect(dups.filter((r) => r.RowIndex > 10_000).length).toBeGreaterThan(400);
    expect(dups.some((r) => r.RowIndex > 10_000 && r.Errors.length > 1)).toBe(true);
    expect(JSON.stringify(await rowsOf(records, 250_000))).toBe(JSON.stringify(expected));
  });

  it("a big plan's slices are stored as v2 tuples, and slices written as v1 objects page the same rows", async () => {
    const records = Array.from({ length: 10_500 }, (_, i) => ({ Fields: { email: `p${i % 10_400}@example.at`, first_name: i % 997 === 0 ? "far too long a name" : "P", last_name: "L" } }));
    const planned = await planImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(records)));
    if (!planned.ok) throw new Error("plan failed");
    const runId = planned.plan.PlanId;
    const page = (run: string) => allRunRows(deps(), run, 4_000);
    const v2 = await page(runId);
    expect(v2).toHaveLength(10_500);
    expect(v2.slice(0, 10_000)).toEqual(planned.plan.Rows);
    const stored = await store.query({ sql: "SELECT stream_version AS v, schema_version AS s, data FROM events WHERE stream_id = ? AND type = 'ImportRowsRecorded' ORDER BY stream_version", args: [`import-${runId}`] });
    expect(stored.map((r) => Number(r.s))).toEqual([2, 2]);
    // The same slices as an older release wrote them, for another run: rows as objects, schema version 1.
    for (const r of stored) {
      const { Columns, Rows, ...rest } = JSON.parse(String(r.data)) as { Columns: string[]; Rows: unknown[][] };
      const v1 = { ...rest, RunId: "old-run", Rows: Rows.map((t) => Object.fromEntries(Columns.map((c, i) => [c, t[i]]))) };
      await store.write([
        {
          sql: "INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at) VALUES (?,?,?,?,?,?,?,?)",
          args: [`old-${String(r.v)}`, "import-old-run", Number(r.v), "ImportRowsRecorded", 1, JSON.stringify(v1), JSON.stringify({ ...actor, CausationId: null }), "2025-01-01T00:00:00.000Z"],
        },
      ]);
    }
    expect(JSON.stringify(await page("old-run"))).toBe(JSON.stringify(v2));
  });
});
