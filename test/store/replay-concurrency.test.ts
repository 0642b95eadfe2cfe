import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventStore, Stmt } from "../../src/store/event-store.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { planImport } from "../../src/services/plan.service.js";
import { runReplay, REPLAY_LEASE_TTL_MS } from "../../src/services/replay.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { BY_EMAIL, CANDIDATE } from "../support/fixtures.js";
import { candidateStore } from "../support/db.js";

/**
 * One replay at a time per database, and a swap never loses a commit made after its rebuild.
 * On a real file opened as the Node server opens it (database thread and reader connection).
 */
let store: EventStore;
let n = 0;
const deps = (s: EventStore) => ({ store: s, now: () => new Date(), newId: () => `id-${String(++n).padStart(6, "0")}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });
const people = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ Fields: { email: `p${from + i}@example.at`, first_name: `P${from + i}` } }));
/** Applies `count` new people (from `from` on) as one more import: another writer's commit. */
const importPeople = async (count: number, from = 0) =>
  expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(count, from))), `1-${count}`)).ok).toBe(true);
const replayTables = async (s: EventStore) => (await s.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'replay_%'")).map((r) => r.name);
const leases = async (s: EventStore) => (await s.query("SELECT name, holder FROM admin_leases")).map((r) => `${r.name}:${r.holder}`);

/**
 * `store` with `action` run once, right before the first call of `method` whose SQL `matches`:
 * another writer committing at that exact point of a replay. `injected()` says whether it ran.
 */
function racing(method: "query" | "write", matches: (sql: string) => boolean, action: () => Promise<void>) {
  let injected = false;
  const sqlOf = (stmt: Stmt | undefined) => (typeof stmt === "string" ? stmt : (stmt?.sql ?? ""));
  const before = async (stmt: Stmt | undefined) => {
    if (injected || !matches(sqlOf(stmt))) return;
    injected = true;
    await action();
  };
  const raced: EventStore =
    method === "query" ? { ...store, query: async (stmt) => (await before(stmt), store.query(stmt)) } : { ...store, write: async (stmts) => (await before(stmts[0]), store.write(stmts)) };
  return { store: raced, injected: () => injected };
}

let close: () => Promise<void>;
beforeEach(async () => {
  ({ store, close } = await candidateStore("replay-concurrency-", deps, actor));
  await importPeople(50);
});
afterEach(() => close());

describe("replay lease", () => {
  it("runs one replay at a time: the others are refused with 409, nothing breaks, and the lease is let go", async () => {
    for (const swap of [false, true]) {
      const outcomes = await Promise.all(Array.from({ length: 4 }, () => runReplay(deps(store), { swap })));
      const done = outcomes.filter((o) => o.ok);
      const refused = outcomes.filter((o) => !o.ok);
      expect(done.length).toBeGreaterThanOrEqual(1);
      for (const o of done) expect(o.ok && o.report.Equal).toBe(true);
      for (const o of refused) {
        expect(o.ok ? 0 : o.status).toBe(409);
        expect(o.ok ? "" : o.errors[0]!.Message).toMatch(/^A replay is already running/);
      }
      expect(await leases(store)).toEqual([]);
      expect(await replayTables(store)).toEqual([]);
    }
    const after = await runReplay(deps(store));
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);

  it("is refused while another holder's lease is live, and runs once that lease has expired", async () => {
    const now = Date.now();
    await store.write([{ sql: "INSERT INTO admin_leases (name, holder, expires_at) VALUES ('replay', 'elsewhere', ?)", args: [new Date(now + REPLAY_LEASE_TTL_MS).toISOString()] }]);
    const refused = await runReplay(deps(store));
    expect(refused.ok).toBe(false);
    expect(refused.ok ? "" : refused.errors[0]!.Message).toContain(new Date(now + REPLAY_LEASE_TTL_MS).toISOString());
    expect(await leases(store)).toEqual(["replay:elsewhere"]); // not taken from its holder
    // A holder that crashed stops renewing: once its lease has expired, the next replay runs.
    await store.write([{ sql: "UPDATE admin_leases SET expires_at = ? WHERE name = 'replay'", args: [new Date(now - 1000).toISOString()] }]);
    const ran = await runReplay(deps(store));
    expect(ran.ok && ran.report.Equal).toBe(true);
    expect(await leases(store)).toEqual([]);
  });

  it("keeps its lease while it runs longer than the lease lasts", async () => {
    // Every query waits 100 ms, so this replay takes seconds against a lease of 400 ms.
    const slow: EventStore = { ...store, query: async (stmt) => (await new Promise((r) => setTimeout(r, 100)), store.query(stmt)) };
    const long = runReplay(deps(slow), { leaseTtlMs: 400 });
    await new Promise((r) => setTimeout(r, 1200));
    const meanwhile = await runReplay(deps(store), { leaseTtlMs: 400 });
    expect(meanwhile.ok ? 200 : meanwhile.status).toBe(409);
    const first = await long;
    expect(first.ok && first.report.Equal).toBe(true);
    expect(await leases(store)).toEqual([]);
  }, 60_000);
});

describe("replay swap", () => {
  it("swaps nothing when an import commits between the rebuild and the swap, and keeps that import", async () => {
    // The import commits right before the swap's batch reaches the database.
    const race = racing(
      "write",
      (sql) => sql.startsWith("UPDATE events SET type = type"),
      () => importPeople(3, 1000),
    );
    const outcome = await runReplay(deps(race.store), { swap: true });
    expect(race.injected()).toBe(true);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? 0 : outcome.status).toBe(409);
    expect(outcome.ok ? "" : outcome.errors[0]!.Message).toMatch(/The log changed while the replay ran .* nothing was swapped/);
    // The late import's instances are in the live tables, and the live state still equals the log.
    const late = await store.query("SELECT count(*) AS n FROM instances WHERE json_extract(fields, '$.email') LIKE 'p10__@example.at'");
    expect(Number(late[0]!.n)).toBe(3);
    expect(await replayTables(store)).toEqual([]);
    expect(await leases(store)).toEqual([]);
    const after = await runReplay(deps(store), { swap: true });
    expect(after.ok && after.report.Swapped).toBe(true);
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);

  it("does not report a difference made by an import that committed while it ran, and rebuilds one state of the log", async () => {
    // The import commits the first time the rebuild reads its own instances back, mid-rebuild.
    const race = racing(
      "query",
      (sql) => sql.includes("FROM replay_instances"),
      () => importPeople(2, 2000),
    );
    const outcome = await runReplay(deps(race.store), { rebuild: true });
    expect(race.injected()).toBe(true);
    expect(outcome.ok ? 200 : outcome.status).toBe(409);
    expect(outcome.ok ? "" : outcome.errors[0]!.Message).toMatch(/The log changed while the replay ran .* could not be compared/);
    expect(await replayTables(store)).toEqual([]);
    const after = await runReplay(deps(store), { rebuild: true });
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);

  it("does not report a difference made by a plan recorded while the live tables were checked in place", async () => {
    // The plan adds an import run (and no instance) right before the live import runs are hashed.
    const race = racing(
      "query",
      (sql) => /FROM import_runs\b/.test(sql),
      async () => expect((await planImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(2, 3000))))).ok).toBe(true),
    );
    const outcome = await runReplay(deps(race.store));
    expect(race.injected()).toBe(true);
    expect(outcome.ok ? 200 : outcome.status).toBe(409);
    expect(outcome.ok ? "" : outcome.errors[0]!.Message).toMatch(/could not be compared/);
    const after = await runReplay(deps(store));
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);
});
