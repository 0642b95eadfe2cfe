import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { besideConnection } from "../../src/runtime/split-client.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { changeDefinition, createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { planImport } from "../../src/services/plan.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { createScanMemo, type ScanMemo } from "../../src/import/scan-memo.js";
import type { Deps } from "../../src/services/deps.js";
import { BY_EMAIL, CANDIDATE, mixedRecords, seededPeople } from "../support/fixtures.js";
import { importedState } from "../support/db.js";

/**
 * An apply of a file planned before skips its first pass: the plan found that the file parses
 * and which rows repeat an identity. It must apply exactly what an apply that reads the file
 * twice applies, and read it twice again whenever the definition or profile changed since.
 */
type Side = { store: EventStore; ids: number; hits: number; deps(): Deps };
let dir: string;
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });
const sides: Record<"memo" | "plain", Side> = {} as never;

async function side(name: string, remember: boolean): Promise<Side> {
  // As the Node server opens it: writes on the database thread, reads beside it.
  const client = await openDatabase(`file:${join(dir, `${name}.db`)}`, undefined, { thread: true });
  const store = createLibsqlEventStore(client, { beside: besideConnection(client) ?? undefined });
  const memo = createScanMemo();
  const s: Side = {
    store,
    ids: 0,
    hits: 0,
    deps: () => ({
      store,
      now: () => new Date("2026-11-24T00:00:00.000Z"),
      newId: () => `id-${String(++s.ids).padStart(6, "0")}`,
      ...(remember && { scanMemo: { get: (k) => (s.hits += memo.get(k) ? 1 : 0, memo.get(k)), set: memo.set } satisfies ScanMemo }),
    }),
  };
  expect((await createDefinition(s.deps(), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(s.deps(), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  expect((await applyImport(s.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(seededPeople())), "1-1000")).ok).toBe(true);
  return s;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scan-memo-"));
  sides.memo = await side("memo", true);
  sides.plain = await side("plain", false);
});

afterAll(async () => {
  await sides.memo?.store.close();
  await sides.plain?.store.close();
  rmSync(dir, { recursive: true, force: true });
});


/** Plans, then applies (twice: the second is all Skip), on both sides; returns the applies' JSON. */
async function planThenApply(records: unknown[], selection: string, profile = BY_EMAIL.Key) {
  const out: Record<"memo" | "plain", string[]> = { memo: [], plain: [] };
  for (const name of ["memo", "plain"] as const) {
    const s = sides[name];
    const plan = await planImport(s.deps(), actor, CANDIDATE.Key, profile, await uploadOfText(pkgText(records)));
    expect(plan.ok).toBe(true);
    for (let k = 0; k < 2; k++) {
      const applied = await applyImport(s.deps(), actor, CANDIDATE.Key, profile, await uploadOfText(pkgText(records)), selection);
      if (!applied.ok) throw new Error(`apply failed: ${JSON.stringify(applied)}`);
      out[name].push(applied.json);
    }
  }
  return out;
}

describe("an apply of a file planned before", () => {
  it("applies what an apply reading the file twice applies: duplicates across chunks, errors, updates, a selection", async () => {
    // Duplicates across chunks (maybe across threads), errors, creates and updates.
    const records = mixedRecords();
    for (const selection of ["1-9000", "3-4100,6000-8999"]) {
      const hits = sides.memo.hits;
      const applied = await planThenApply(records, selection);
      expect(sides.memo.hits - hits).toBe(2); // both applies of the memo side skipped their first pass
      expect(applied.memo).toEqual(applied.plain);
      const result = JSON.parse(applied.memo[0]!);
      expect(result.Summary.FailedRows).toBeGreaterThan(300);
      // The first round creates and updates; after it the same rows are unchanged.
      if (selection === "1-9000") expect(result.Rows.filter((r: { ChangedFieldKeys: string[] }) => r.ChangedFieldKeys.length > 0).length).toBeGreaterThan(7000);
      expect(JSON.parse(applied.memo[1]!).Summary.SkipRows).toBeGreaterThan(1000);
      expect(await importedState(sides.memo.store)).toEqual(await importedState(sides.plain.store));
    }
    expect(sides.plain.hits).toBe(0);
  });

  it("reads the file again after the definition changed how identities are read", async () => {
    // Identity on first_name (at most 20 characters): two rows share a 23-character name, which
    // is no valid identity, so they are no duplicates, until the limit is raised to 30.
    const byName = { Key: "by_name", Name: "Match on first name", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "first_name" };
    for (const s of Object.values(sides)) expect((await createProfile(s.deps(), actor, CANDIDATE.Key, byName as never)).ok).toBe(true);
    const records = [
      { Fields: { email: "twin.a@example.at", first_name: "Alexandrina-Maximiliana" } },
      { Fields: { email: "solo@example.at", first_name: "Solo" } },
      { Fields: { email: "twin.b@example.at", first_name: "Alexandrina-Maximiliana" } },
    ];
    const s = sides.memo;
    const plan = await planImport(s.deps(), actor, CANDIDATE.Key, byName.Key, await uploadOfText(pkgText(records)));
    if (!plan.ok) throw new Error("plan failed");
    expect(plan.plan.Rows.map((r) => r.Errors.map((e) => e.Code))).toEqual([["value_too_long"], [], ["value_too_long"]]);
    const longer = { Fields: [{ ...CANDIDATE.Fields[1]!, MaxLength: 30 }] };
    expect((await changeDefinition(s.deps(), actor, CANDIDATE.Key, longer as never)).ok).toBe(true);
    const hits = s.hits;
    const applied = await applyImport(s.deps(), actor, CANDIDATE.Key, byName.Key, await uploadOfText(pkgText(records)), "1-3");
    if (!applied.ok) throw new Error("apply failed");
    expect(s.hits).toBe(hits); // the plan's facts were for the definition before the change
    expect(applied.result.Rows.map((r) => r.Errors.map((e) => e.Code))).toEqual([["duplicate_identity_in_file"], [], ["duplicate_identity_in_file"]]);
  });

  it("does not remember a file that does not parse: its apply refuses it with nothing written", async () => {
    const s = sides.memo;
    const text = pkgText(Array.from({ length: 5_000 }, (_, i) => ({ Fields: { email: `z${i}@example.at` } }))).replace('"z4500@example.at"', '"z4500@example.at\u0001"');
    expect((await planImport(s.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(text))).ok).toBe(false);
    const before = await importedState(s.store);
    const hits = s.hits;
    const applied = await applyImport(s.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(text), "1-5000");
    expect(applied.ok).toBe(false);
    expect(s.hits).toBe(hits);
    expect(await importedState(s.store)).toEqual(before);
  });
});

describe("scan memo", () => {
  it("keeps the most recently used files, and none with too many repeated identities", () => {
    const memo = createScanMemo(2, 3);
    memo.set("a", { count: 1, duplicates: new Set() });
    memo.set("b", { count: 2, duplicates: new Set() });
    memo.get("a");
    memo.set("c", { count: 3, duplicates: new Set([7, 2]) });
    expect([memo.get("a")?.count, memo.get("b"), memo.get("c")?.count]).toEqual([1, undefined, 3]);
    expect([...memo.get("c")!.duplicates]).toEqual([7, 2]);
    memo.set("d", { count: 4, duplicates: new Set([1, 2, 3, 4]) });
    expect(memo.get("d")).toBeUndefined();
    expect(memo.get("a")?.count).toBe(1);
  });
});
