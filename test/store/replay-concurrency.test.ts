import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventStore } from "../../src/store/event-store.js";
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
const replayTables = async (s: EventStore) => (await s.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'replay_%'")).map((r) => r.name);
const leases = async (s: EventStore) => (await s.query("SELECT name, holder FROM admin_leases")).map((r) => `${r.name}:${r.holder}`);

let close: () => Promise<void>;
beforeEach(async () => {
  ({ store, close } = await candidateStore("replay-concurrency-", deps, actor));
  const applied = await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(50))), "1-50");
  expect(applied.ok).toBe(true);
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
    let injected = false;
    const racing: EventStore = {
      ...store,
      write: async (stmts) => {
        const first = stmts[0];
        if (!injected && typeof first === "object" && first.sql.startsWith("UPDATE events SET type = type")) {
          injected = true;
          const late = await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(3, 1000))), "1-3");
          expect(late.ok).toBe(true);
        }
        return store.write(stmts);
      },
    };
    const outcome = await runReplay(deps(racing), { swap: true });
    expect(injected).toBe(true);
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
    let injected = false;
    const racing: EventStore = {
      ...store,
      query: async (stmt) => {
        const sql = typeof stmt === "string" ? stmt : stmt.sql;
        if (!injected && sql.includes("FROM replay_instances")) {
          injected = true;
          expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(2, 2000))), "1-2")).ok).toBe(true);
        }
        return store.query(stmt);
      },
    };
    const outcome = await runReplay(deps(racing), { rebuild: true });
    expect(injected).toBe(true);
    expect(outcome.ok ? 200 : outcome.status).toBe(409);
    expect(outcome.ok ? "" : outcome.errors[0]!.Message).toMatch(/The log changed while the replay ran .* could not be compared/);
    expect(await replayTables(store)).toEqual([]);
    const after = await runReplay(deps(store), { rebuild: true });
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);

  it("does not report a difference made by a plan recorded while the live tables were checked in place", async () => {
    // The plan adds an import run (and no instance) right before the live import runs are hashed.
    let injected = false;
    const racing: EventStore = {
      ...store,
      query: async (stmt) => {
        const sql = typeof stmt === "string" ? stmt : stmt.sql;
        if (!injected && /FROM import_runs\b/.test(sql)) {
          injected = true;
          expect((await planImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(people(2, 3000))))).ok).toBe(true);
        }
        return store.query(stmt);
      },
    };
    const outcome = await runReplay(deps(racing));
    expect(injected).toBe(true);
    expect(outcome.ok ? 200 : outcome.status).toBe(409);
    expect(outcome.ok ? "" : outcome.errors[0]!.Message).toMatch(/could not be compared/);
    const after = await runReplay(deps(store));
    expect(after.ok && after.report.Equal).toBe(true);
  }, 60_000);
});
