import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore, Stmt } from "../../src/store/event-store.js";
import { changeDefinition, createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { planImport, planRows } from "../../src/services/plan.service.js";
import { planEarly, type EarlyPlan } from "../../src/services/plan-early.js";
import { resolveTarget } from "../../src/services/import-context.js";
import { createPackageSpooler, uploadOfText, type Upload } from "../../src/import/package-spool.js";
import { MAX_PACKAGE_DEPTH } from "../../src/import/package.js";
import type { PlanRow } from "../../src/schemas/transfer.js";
import { allRunRows } from "../support/run-rows.js";
import { BY_EMAIL, CANDIDATE, mixedRecords, seededPeople } from "../support/fixtures.js";

/**
 * A plan's first chunks are planned while its upload comes in (plan-early.ts). Whatever the plan
 * then takes from that early plan must be what it would have decided after the upload.
 */
let dir: string;
let base: EventStore;
let lookups = 0; // identity lookups made on the store
let n = 0;
const store = (): EventStore => ({
  ...base,
  query: (s: Stmt) => {
    if (typeof s === "object" && Array.isArray(s.args) && s.args[1] === "email") lookups++;
    return base.query(s);
  },
});
const deps = () => ({ store: store(), now: () => new Date("2026-11-23T00:00:00.000Z"), newId: () => `id-${++n}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });
const FIELDS = { ProfileId: [BY_EMAIL.Key] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "plan-early-"));
  base = createLibsqlEventStore(await openDatabase(`file:${join(dir, "db.db")}`));
  expect((await createDefinition(deps(), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(deps(), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  expect((await applyImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(seededPeople())), "1-1000")).ok).toBe(true);
});
afterAll(async () => {
  await base.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Streams `text` into a spooler whose chunks go to `early`, in pieces, letting lookups answer in between. */
async function uploadThrough(early: EarlyPlan, text: string, between?: () => Promise<void>): Promise<Upload> {
  const spooler = createPackageSpooler({ maxDepth: MAX_PACKAGE_DEPTH, chunks: early.chunks });
  for (let at = 0; at < text.length; at += 50_000) {
    spooler.push(text.slice(at, at + 50_000));
    await new Promise((r) => setTimeout(r, 1));
    if (at === 0) await between?.();
  }
  const whole = await uploadOfText(text);
  return { ...whole, spool: spooler.end() };
}

async function planned(upload: Upload, early?: EarlyPlan | null) {
  const r = await planImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, upload, early);
  if (!r.ok) return r;
  return { ok: true as const, summary: r.plan.Summary, rows: r.plan.RowsComplete === false ? await allRunRows(deps(), r.plan.PlanId) : r.plan.Rows };
}

describe("a plan started while its upload comes in", () => {
  it("decides the same rows as a plan after the upload, with the early chunks looked up before the upload ended", async () => {
    // 12,000 records: creates, updates, unchanged rows, duplicates across chunks, bad ages.
    const records = [...mixedRecords(), ...mixedRecords().slice(0, 3_000).map((r, i) => ({ Fields: { ...r.Fields, email: `late${i % 2_500}@example.at` } }))];
    const text = pkgText(records);
    const after = await planned(await uploadOfText(text));
    const early = planEarly(deps(), CANDIDATE.Key, FIELDS, text.length)!;
    expect(early).not.toBeNull();
    lookups = 0;
    const upload = await uploadThrough(early, text);
    const lookedUpEarly = lookups;
    const withEarly = await planned(upload, early);
    expect(JSON.stringify(withEarly)).toBe(JSON.stringify(after));
    // Six chunks; most were looked up while the text came in, and not again after it.
    expect(lookedUpEarly).toBeGreaterThanOrEqual(4);
    expect(lookups).toBe(6);
  });

  it("plans after the upload when the definition changed while it came in", async () => {
    const records = Array.from({ length: 5_000 }, (_, i) => ({ Fields: { email: `change${i}@example.at`, first_name: `F${i}`, last_name: "L" } }));
    const text = pkgText(records);
    const early = planEarly(deps(), CANDIDATE.Key, FIELDS, text.length)!;
    const upload = await uploadThrough(early, text, async () => {
      // After the first chunk is in: first names longer than 3 characters become errors.
      const changed = await changeDefinition(deps(), actor, CANDIDATE.Key, { Fields: [{ ...CANDIDATE.Fields[1]!, MaxLength: 3 }] } as never);
      expect(changed.ok).toBe(true);
    });
    const withEarly = await planned(upload, early);
    const after = await planned(await uploadOfText(text));
    expect(JSON.stringify(withEarly)).toBe(JSON.stringify(after));
    if (!withEarly.ok) throw new Error("plan failed");
    expect(withEarly.summary.ErrorRows).toBe(5_000 - 100);
    await changeDefinition(deps(), actor, CANDIDATE.Key, { Fields: [CANDIDATE.Fields[1]!] } as never);
  });

  it("refuses a file with a broken chunk the same way", async () => {
    for (const broken of [10, 4_100]) {
      const text = pkgText(Array.from({ length: 6_500 }, (_, i) => ({ Fields: { email: `x${i}@example.at` } }))).replace(`"x${broken}@example.at"`, `"x${broken}@example.at\u0001"`);
      const after = await planned(await uploadOfText(text));
      expect(after.ok).toBe(false);
      const early = planEarly(deps(), CANDIDATE.Key, FIELDS, text.length)!;
      expect(await planned(await uploadThrough(early, text), early)).toEqual(after);
    }
  });

  it("a file past the early limit takes two passes, with the early chunks first", async () => {
    const records = Array.from({ length: 7_000 }, (_, k) => ({ Fields: { email: `two${k % 6_000 === k ? k : k - 6_000 + 3_000}@example.at`, first_name: "T", age: k % 997 === 0 ? "old" : 30 } }));
    const text = pkgText(records);
    const resolved = await resolveTarget(deps(), CANDIDATE.Key, BY_EMAIL.Key);
    if (!resolved.ok) throw new Error("no target");
    // Early: chunks 0 and 1 (4,000 records); the plan: two passes past 5,000 records.
    const early = planEarly(deps(), CANDIDATE.Key, FIELDS, text.length, 4_000)!;
    const upload = await uploadThrough(early, text);
    if (!upload.spool.ok) throw new Error("no spool");
    const taken = await early.take(resolved.target, upload.spool.spool.recordChunks);
    expect(taken).toHaveLength(2);
    const rowsOf = async (r: Awaited<ReturnType<typeof planRows>>) => {
      if (!r.ok) throw new Error("plan failed");
      const out: PlanRow[] = [];
      for await (const chunk of r.chunks) out.push(...chunk);
      return out;
    };
    const two = await rowsOf(await planRows(deps(), resolved.target, upload.spool.spool, 5_000, taken));
    const plain = await rowsOf(await planRows(deps(), resolved.target, upload.spool.spool, 5_000));
    expect(JSON.stringify(two)).toBe(JSON.stringify(plain));
    // Rows 6,001…7,000 repeat rows 3,001…4,000: duplicates on both sides of the early chunks' end.
    expect(two.filter((r) => r.Errors.some((e) => e.Code === "duplicate_identity_in_file"))).toHaveLength(2_000);
  });

  it("starts only with one ProfileId before the file and a declared length within the limit", () => {
    expect(planEarly(deps(), CANDIDATE.Key, {}, 1_000)).toBeNull();
    expect(planEarly(deps(), CANDIDATE.Key, { ProfileId: ["a", "b"] }, 1_000)).toBeNull();
    expect(planEarly(deps(), CANDIDATE.Key, FIELDS, null)).toBeNull();
    expect(planEarly(deps(), CANDIDATE.Key, FIELDS, 65 * 1024 * 1024)).toBeNull();
    expect(planEarly(deps(), CANDIDATE.Key, FIELDS, 1_000)).not.toBeNull();
  });
});
