import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { besideConnection } from "../../src/runtime/split-client.js";
import { startReadProcess, type ReadProcess } from "../../src/runtime/read-process.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore, Stmt } from "../../src/store/event-store.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { projectionDdl } from "../../src/replay/rebuild.js";
import { replayProjections } from "../../src/replay/replay.js";
import { verifyProjections } from "../../src/replay/verify.js";
import { CHECKSUM_PAGE } from "../../src/replay/checksum.js";
import { BY_EMAIL, CANDIDATE } from "../support/fixtures.js";

/**
 * With the Node server's database thread, the in-place replay check reads the instance pages and
 * the identity index rows of their ids on that thread, ahead of the loop that compares and hashes
 * them. Over several pages it must report what it reports on one connection and what a rebuild
 * reports, and find a difference on any page.
 */
const INSTANCES = Math.round(CHECKSUM_PAGE * 2.5);
let dir: string;
let n = 0;
const deps = (store: EventStore) => ({ store, now: () => new Date("2026-11-24T00:00:00.000Z"), newId: () => `id-${String(++n).padStart(6, "0")}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });
const person = (i: number, stage = "new") => ({ Fields: { email: `person${i}@example.at`, first_name: `P${i}`, last_name: "L", age: i % 90, stage } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "replay-pages-"));
  const client = await openDatabase(`file:${join(dir, "seed.db")}`);
  const store = createLibsqlEventStore(client);
  expect((await createDefinition(deps(store), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(deps(store), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  const all = Array.from({ length: INSTANCES }, (_, i) => person(i));
  expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(all)), `1-${INSTANCES}`)).ok).toBe(true);
  // Every seventh instance changed once and every 49th twice: folds on every page.
  const changed = all.map((p, i) => (i % 7 === 0 ? person(i, "interview") : p));
  expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(changed)), `1-${INSTANCES}`)).ok).toBe(true);
  const again = changed.map((p, i) => (i % 49 === 0 ? person(i, "hired") : p));
  expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(again)), `1-${INSTANCES}`)).ok).toBe(true);
  await client.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  await store.close();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A copy of the seeded file, opened as the Node server opens it (the database thread, and with
 * `reads` its read process too) or on one connection. `beside` and `elsewhere` list what each
 * was asked; `onElsewhere` runs before each query sent to the read process.
 */
async function open(thread: boolean, tamper?: string, opts: { reads?: boolean; onElsewhere?: (reads: ReadProcess) => void } = {}) {
  const file = join(dir, `copy-${++n}.db`);
  copyFileSync(join(dir, "seed.db"), file);
  const client = await openDatabase(`file:${file}`, undefined, { thread });
  if (tamper) await client.execute(tamper);
  const reads = opts.reads ? startReadProcess(`file:${file}`, 5000) : null;
  if (reads) expect(await reads.ready()).toBe(true);
  const beside: Stmt[] = [];
  const elsewhere: Stmt[] = [];
  const running = { n: 0 };
  const track = <T>(p: Promise<T>) => (running.n++, p.finally(() => running.n--));
  const readProcess = reads
    ? () => {
        const q = reads.current();
        return q && ((s: Stmt) => (opts.onElsewhere?.(reads), elsewhere.push(s), track(q(s))));
      }
    : undefined;
  const base = createLibsqlEventStore(client, { beside: thread ? (besideConnection(client) ?? undefined) : undefined, readProcess });
  const store: EventStore = {
    ...base,
    ...(base.queryBeside && { queryBeside: (s: Stmt) => (beside.push(s), track(base.queryBeside!(s))) }),
    close: async () => (await reads?.close(), await base.close()),
  };
  return { store, beside, elsewhere, running };
}

const sqlOf = (s: Stmt) => (typeof s === "string" ? s : s.sql);
const kinds = (list: Stmt[]) => list.map((s) => (sqlOf(s).includes("FROM instance_keys k") ? "keys" : sqlOf(s).includes("FROM instances l") ? "instances" : "other"));
const PAGES = Math.ceil(INSTANCES / CHECKSUM_PAGE);
/** The first id range bound of each page query, to tell the pages apart. */
const pagesOf = (list: Stmt[]) => list.filter((s) => sqlOf(s).includes("FROM instances l")).map((s) => JSON.stringify(typeof s === "string" ? [] : s.args));

const replayTables = async (store: EventStore) => (await store.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'replay_%'")).map((r) => r.name);

// Row n of the instances in id order: the middle of the second page, the last page.
const nth = (i: number) => `(SELECT id FROM instances ORDER BY id LIMIT 1 OFFSET ${i})`;
const TAMPER = {
  secondPageFields: `UPDATE instances SET fields = json_set(fields, '$.age', 1000) WHERE id = ${nth(CHECKSUM_PAGE + 17)}`,
  lastPageVersion: `UPDATE instances SET version = version + 1 WHERE id = ${nth(INSTANCES - 3)}`,
  lastPageClaim: `DELETE FROM instance_keys WHERE instance_id = ${nth(2 * CHECKSUM_PAGE + 5)}`,
  secondPageClaimMoved: `UPDATE instance_keys SET instance_id = ${nth(0)} WHERE instance_id = ${nth(CHECKSUM_PAGE + 1)}`,
};

type Copy = Awaited<ReturnType<typeof open>>;
type Checked = Awaited<ReturnType<typeof verifyProjections>>;

/**
 * The check of a copy opened as `thread` and `opts` say must report what it reports on one
 * connection (and not null); `then` looks at what that copy was asked. Both copies are closed after.
 */
async function sameAsOneConnection(thread: boolean, opts: Parameters<typeof open>[2], then: (copy: Copy, checked: Checked, one: Copy) => Promise<void>) {
  const one = await open(false);
  const copy = await open(thread, undefined, opts);
  try {
    const plain = await verifyProjections(one.store, await projectionDdl(one.store));
    const checked = await verifyProjections(copy.store, await projectionDdl(copy.store));
    expect(plain).not.toBeNull();
    expect(checked).toEqual(plain);
    await then(copy, checked, one);
  } finally {
    await one.store.close();
    await copy.store.close();
  }
}

describe("replay check with the instance pages read on the database thread", () => {
  it("reads every instance page and its identity index rows there, and reports what one connection and a rebuild report", async () => {
    await sameAsOneConnection(true, {}, async (threaded, beside, one) => {
      // Per page of instances, two queries went to the database thread, in this order: the
      // instances and the identity index rows of the same ids. None on one connection.
      expect(kinds(threaded.beside)).toEqual(Array.from({ length: PAGES }, () => ["instances", "keys"]).flat());
      expect(one.beside).toEqual([]);
      const full = await replayProjections(threaded.store, { rebuild: true });
      expect(full.Equal).toBe(true);
      expect(beside!.projections).toEqual(full.Projections);
      expect(full.Events).toBe(beside!.events);
      const instances = full.Projections.find((p) => p.Projection === "instances")!;
      expect(instances.LiveRows).toBe(INSTANCES);
    });
  }, 120_000);

  it("with the read process, reads each page once, on it or on the database thread, and reports the same", async () => {
    await sameAsOneConnection(true, { reads: true }, async (both, split) => {
      // Both readers got pages, each asked for the instances and then the index rows of a page.
      const beside = pagesOf(both.beside);
      const elsewhere = pagesOf(both.elsewhere);
      expect(beside.length).toBeGreaterThan(0);
      expect(elsewhere.length).toBeGreaterThan(0);
      expect(new Set([...beside, ...elsewhere]).size).toBe(PAGES);
      expect(beside.length + elsewhere.length).toBe(PAGES);
      for (const list of [both.beside, both.elsewhere]) expect(kinds(list)).toEqual(Array.from({ length: list.length / 2 }, () => ["instances", "keys"]).flat());
      const full = await replayProjections(both.store, { rebuild: true });
      expect(split!.projections).toEqual(full.Projections);
    });
  }, 120_000);

  it("when the read process stops during the check, its pages are read on the database thread and the report is the same", async () => {
    let killed = false;
    const kill = (reads: ReadProcess) => killed || ((killed = true), process.kill(reads.pid()!, "SIGKILL"));
    await sameAsOneConnection(true, { reads: true, onElsewhere: kill }, async (both) => {
      expect(killed).toBe(true);
      // Every page was read on the database thread in the end, and nothing is left running.
      expect(new Set(pagesOf(both.beside)).size).toBe(PAGES);
      expect(both.running.n).toBe(0);
    });
  }, 120_000);

  for (const [name, tamper] of Object.entries(TAMPER)) {
    it(`finds a difference on a later page (${name}), with and without the read process`, async () => {
      for (const reads of [false, true]) {
        const { store, running } = await open(true, tamper, { reads });
        try {
          expect(await verifyProjections(store, await projectionDdl(store))).toBeNull();
          // Nothing of the check is left: no page still being read, no replay_* table.
          expect(running.n).toBe(0);
          expect(await replayTables(store)).toEqual([]);
          const report = await replayProjections(store);
          expect(report.Equal).toBe(false);
          const differs = report.Projections.filter((p) => !p.Equal).map((p) => p.Projection);
          expect(differs).toEqual([name.endsWith("Fields") || name.endsWith("Version") ? "instances" : "instance_keys"]);
        } finally {
          await store.close();
        }
      }
    }, 120_000);
  }

  it("stops reading instance pages when the log holds what the check does not judge, and leaves nothing behind", async () => {
    // An import run event of a version the check does not know: found while the pages are read.
    const odd = `INSERT INTO events (event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at)
      VALUES ('odd-1', 'run-odd', 1, 'ImportApplied', 2, '{}', '{"Actor":"test"}', '2026-11-24T00:00:00.000Z')`;
    const { store, beside, running } = await open(true, odd);
    try {
      expect(await verifyProjections(store, await projectionDdl(store))).toBeNull();
      expect(beside.length).toBeGreaterThan(0); // the pages had been asked for
      expect(running.n).toBe(0);
      expect(await replayTables(store)).toEqual([]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
