import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { openDatabase } from "../../src/runtime/open-database.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { applyImport } from "../../src/services/apply.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import type { Deps } from "../../src/services/deps.js";
import { streams } from "../../src/store/streams.js";

/**
 * Two applies decide against the same state before either commits (a barrier holds the first
 * commit until both have decided): the database guards must make the loser decide again.
 */
let dir: string;
let store: EventStore;
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "race-"));
  store = createLibsqlEventStore(await openDatabase(`file:${join(dir, "r.db")}`));
  const deps: Deps = { store, now: () => new Date(), newId: uuidv7 };
  await createDefinition(deps, actor, { Key: "candidate", DisplayNameSingular: "C", DisplayNamePlural: "Cs", Fields: [{ Key: "email", Label: "E", Type: "email", Required: true }, { Key: "name", Label: "N", Type: "string", Required: false }] });
  await createProfile(deps, actor, "candidate", { Key: "by_email", Name: "E", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email", SkipUnchanged: true });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A store whose first `holdAppends` instance appends wait until `release()`. */
function barrierStore(inner: EventStore, holdAppends: number) {
  let held = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const store: EventStore = {
    ...inner,
    async append(commit) {
      if (commit.events.some((e) => e.type === "InstanceCreated") && held < holdAppends) {
        held++;
        await gate;
      }
      return inner.append(commit);
    },
  };
  return { store, release, held: () => held };
}

/**
 * A applies rows `<prefix>0…n-1` (name A) and its second creating commit is held; meanwhile B
 * applies rows 2000…n-1 (name B) and commits first. Both results, once A's commit is let go.
 */
async function raceAtSecondCommit(prefix: string, n: number) {
  const file = (name: string, from: number) => JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: n - from }, (_, i) => ({ Fields: { email: `${prefix}${from + i}@example.at`, name } })) });
  let creates = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let held = false;
  const depsA: Deps = {
    store: {
      ...store,
      async append(commit) {
        if (commit.events.some((e) => e.type === "InstanceCreated") && ++creates === 2) (held = true, await gate);
        return store.append(commit);
      },
    },
    now: () => new Date(),
    newId: uuidv7,
  };
  const depsB: Deps = { store, now: () => new Date(), newId: uuidv7 };
  const first = applyImport(depsA, actor, "candidate", "by_email", await uploadOfText(file("A", 0)), `1-${n}`);
  while (!held) await new Promise((r) => setTimeout(r, 5));
  const b = await applyImport(depsB, actor, "candidate", "by_email", await uploadOfText(file("B", 2000)), `1-${n - 2000}`);
  release();
  const a = await first;
  if (!a.ok || !b.ok) throw new Error("apply refused");
  return { a, b };
}

describe("racing applies", () => {
  it("never create an identity twice and fail no row: the loser's chunk is split and decided again", async () => {
    const n = 40;
    const file = (name: string) => JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: n }, (_, i) => ({ Fields: { email: `race${i}@example.at`, name } })) });
    const a = barrierStore(store, 1);
    const depsA: Deps = { store: a.store, now: () => new Date(), newId: uuidv7 };
    const depsB: Deps = { store, now: () => new Date(), newId: uuidv7 };
    // A decides and is held at its commit; B decides the same creates meanwhile and commits first.
    const first = applyImport(depsA, actor, "candidate", "by_email", await uploadOfText(file("A")), `1-${n}`);
    while (a.held() === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await applyImport(depsB, actor, "candidate", "by_email", await uploadOfText(file("B")), `1-${n}`);
    a.release();
    const firstResult = await first;
    if (!firstResult.ok || !second.ok) throw new Error("apply refused");
    expect(second.result.Summary).toMatchObject({ CreateRows: n, FailedRows: 0 });
    // A's creates lost the race: decided again, they became updates of B's instances.
    expect(firstResult.result.Summary).toMatchObject({ FailedRows: 0, CreateRows: 0, UpdateRows: n });
    const instances = await store.query("SELECT json_extract(fields, '$.name') AS name, count(*) AS n FROM instances GROUP BY name");
    expect(instances.map((r) => [r.name, Number(r.n)])).toEqual([["A", n]]);
    expect(Number((await store.query("SELECT count(*) AS n FROM instance_keys"))[0]!.n)).toBe(n);
  });

  it("when the last chunk loses its race, the run's result and its stored ImportApplied count the rows as decided again", async () => {
    // A's last commit (rows 2001-3000) is held while B creates those rows.
    const n = 3000;
    const { a, b } = await raceAtSecondCommit("last", n);
    expect(b.result.Summary).toMatchObject({ CreateRows: n - 2000, FailedRows: 0 });
    expect(a.result.Summary).toMatchObject({ CreateRows: 2000, UpdateRows: n - 2000, FailedRows: 0 });
    const [stored] = await store.query({ sql: "SELECT data ->> '$.Summary' AS summary, data ->> '$.ResultJson' AS result FROM events WHERE stream_id = ? AND type = 'ImportApplied'", args: [streams.run(a.result.ApplyId)] });
    expect(JSON.parse(String(stored!.summary))).toEqual(a.result.Summary);
    expect(String(stored!.result)).toBe(a.json);
  });

  it("a chunk that loses a race in the middle of a pipelined apply is decided again, and so is the one decided meanwhile", async () => {
    // Chunks of 2000: A's second commit is held, by which time its third chunk is already decided
    // (the apply decides chunk k+1 while chunk k is written). B creates rows 2001-5000 meanwhile.
    const n = 5000;
    const { a, b } = await raceAtSecondCommit("pipe", n);
    expect(b.result.Summary).toMatchObject({ CreateRows: n - 2000, FailedRows: 0 });
    expect(a.result.Summary).toMatchObject({ FailedRows: 0, CreateRows: 2000, UpdateRows: n - 2000 });
    expect(a.result.Rows.map((r) => r.RowIndex)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const instances = await store.query("SELECT json_extract(fields, '$.name') AS name, count(*) AS n FROM instances WHERE json_extract(fields, '$.email') LIKE 'pipe%' GROUP BY name");
    expect(instances.map((r) => [r.name, Number(r.n)])).toEqual([["A", n]]);
    expect(Number((await store.query("SELECT count(*) AS n FROM instance_keys WHERE value LIKE 'pipe%'"))[0]!.n)).toBe(n);
  });
});
