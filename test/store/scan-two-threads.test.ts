import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUSY_TIMEOUT_MS, openDatabase } from "../../src/runtime/open-database.js";
import { createPlanThread, type PlanThread } from "../../src/runtime/plan-thread.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import type { ChunkWorker } from "../../src/services/chunk-work.js";
import { BY_EMAIL, CANDIDATE, mixedRecords, seededPeople } from "../support/fixtures.js";
import { importedState } from "../support/db.js";

/**
 * An apply's first pass reads the package on two threads when the Node server's plan thread is
 * there: that thread's chunks are only checked and their identities kept, and they are prepared
 * again in the second pass. The apply must do exactly what it does on one thread.
 */
type Side = { store: EventStore; ids: number; deps(): { store: EventStore; now: () => Date; newId: () => string; chunkWorker?: ChunkWorker } };
let dir: string;
let thread: PlanThread;
let scannedAway = 0;
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkgText = (records: unknown[]) => JSON.stringify({ FormatVersion: 1, Records: records });
const sides: Record<"one" | "two", Side> = {} as never;

async function side(name: string, worker: boolean): Promise<Side> {
  const url = `file:${join(dir, `${name}.db`)}`;
  const store = createLibsqlEventStore(await openDatabase(url));
  const s: Side = {
    store,
    ids: 0,
    deps: () => ({ store, now: () => new Date("2026-11-24T00:00:00.000Z"), newId: () => `id-${String(++s.ids).padStart(6, "0")}`, ...(worker && { chunkWorker: counted }) }),
  };
  expect((await createDefinition(s.deps(), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(s.deps(), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  expect((await applyImport(s.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(seededPeople())), "1-1000")).ok).toBe(true);
  return s;
}
const counted: ChunkWorker = {
  plan: (...args) => thread.plan(...args),
  scan: async (...args) => {
    const r = await thread.scan(...args);
    scannedAway++;
    return r;
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "scan-two-threads-"));
  thread = createPlanThread({ url: `file:${join(dir, "two.db")}`, timeout: BUSY_TIMEOUT_MS });
  sides.one = await side("one", false);
  sides.two = await side("two", true);
});

afterAll(async () => {
  await thread.close();
  await sides.one?.store.close();
  await sides.two?.store.close();
  rmSync(dir, { recursive: true, force: true });
});


describe("an apply's first pass on two threads", () => {
  it("applies what one thread applies: duplicates across chunks and threads, errors, updates, a selection", async () => {
    // Duplicates across chunks (maybe across threads), errors, creates and updates.
    const records = mixedRecords();
    for (const selection of ["1-9000", "3-4100,6000-8999"]) {
      scannedAway = 0;
      const one = await applyImport(sides.one.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(records)), selection);
      const two = await applyImport(sides.two.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(pkgText(records)), selection);
      if (!one.ok || !two.ok) throw new Error("apply failed");
      expect(scannedAway).toBeGreaterThan(0);
      expect(two.json).toBe(one.json);
      expect(one.result.Summary.FailedRows).toBeGreaterThan(300);
      expect(await importedState(sides.two.store)).toEqual(await importedState(sides.one.store));
    }
  });

  it("refuses a file with a broken chunk, whichever thread read it, and applies nothing", async () => {
    const records = pkgText(Array.from({ length: 9_000 }, (_, i) => ({ Fields: { email: `y${i}@example.at` } })));
    for (const broken of [[10], [6_500], [2_100, 8_500]]) {
      const text = broken.reduce((t, i) => t.replace(`"y${i}@example.at"`, `"y${i}@example.at\u0001"`), records);
      const before = await importedState(sides.two.store);
      const one = await applyImport(sides.one.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(text), "1-9000");
      const two = await applyImport(sides.two.deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(text), "1-9000");
      expect(one.ok).toBe(false);
      expect(two).toEqual(one);
      expect(JSON.stringify(two)).toContain(`Records ${Math.floor(broken[0]! / 2000) * 2000 + 1}`);
      expect(await importedState(sides.two.store)).toEqual(before);
    }
  });
});
