import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { openDatabase } from "../../src/runtime/open-database.js";
import { besideConnection } from "../../src/runtime/split-client.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore, Stmt } from "../../src/store/event-store.js";
import { applyImport } from "../../src/services/apply.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { RECORDS_PER_CHUNK } from "../../src/import/package-spool.js";
import { ROWS_IN_RESPONSE } from "../../src/import/run-rows.js";
import { replayProjections } from "../../src/replay/replay.js";
import type { Deps } from "../../src/services/deps.js";

/**
 * A pipelined apply builds each commit while the one before it is written. A big apply's commits
 * also carry its rows (past the response's head), one event per commit on the run's stream, so a
 * commit built while the one before is in flight takes the version after that one's. When a
 * chunk's lookup answers only after the commit before it is in (here: held until then), that
 * commit is no longer ahead: the next one must take the version right after it, not skip one.
 */
let dir: string;
let store: EventStore;
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const ROWS = ROWS_IN_RESPONSE + RECORDS_PER_CHUNK + 500; // rows events from the first commit on, several chunks
const pkg = JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: ROWS }, (_, i) => ({ Fields: { email: `slow${i}@example.at` } })) });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "slow-lookups-"));
  const client = await openDatabase(`file:${join(dir, "a.db")}`, undefined, { thread: true });
  store = createLibsqlEventStore(client, { beside: besideConnection(client) ?? undefined });
  const deps: Deps = { store, now: () => new Date(), newId: uuidv7 };
  await createDefinition(deps, actor, { Key: "candidate", DisplayNameSingular: "C", DisplayNamePlural: "Cs", Fields: [{ Key: "email", Label: "E", Type: "email", Required: true }] });
  await createProfile(deps, actor, "candidate", { Key: "by_email", Name: "E", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email", SkipUnchanged: true });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const isLookup = (s: Stmt) => typeof s !== "string" && /FROM json_each\(\?3\) j CROSS JOIN instance_keys/.test(s.sql);
/** The chunk a lookup is for, from its first value (`slow<row>@…`). */
const chunkOf = (s: Stmt) => Math.floor(Number(/slow(\d+)@/.exec(String((s as { args: unknown[] }).args[2]))![1]) / RECORDS_PER_CHUNK);

describe("a pipelined apply whose lookups answer late", () => {
  it("commits every row, its rows events on consecutive versions", async () => {
    let committed = 0;
    const waiting: Array<{ until: number; go: () => void }> = [];
    const release = () => waiting.splice(0).forEach((w) => (w.until <= committed ? w.go() : waiting.push(w)));
    const deps: Deps = {
      store: {
        ...store,
        // Chunk c's lookup answers once c commits are in, so the commit before it is never still in flight.
        queryBeside: async (s) => {
          if (isLookup(s)) await new Promise<void>((go) => (waiting.push({ until: chunkOf(s), go }), release()));
          return store.queryBeside!(s);
        },
        append: async (c) => {
          const outcome = await store.append(c);
          committed++;
          release();
          return outcome;
        },
      },
      now: () => new Date(),
      newId: uuidv7,
    };
    const r = await applyImport(deps, actor, "candidate", "by_email", await uploadOfText(pkg), `1-${ROWS}`);
    expect(r.ok && r.result.Summary.CreateRows).toBe(ROWS);
    expect(committed).toBeGreaterThanOrEqual(Math.ceil(ROWS / RECORDS_PER_CHUNK));
    const versions = (await store.query("SELECT stream_version AS v FROM events WHERE type = 'ImportRowsRecorded' ORDER BY position")).map((row) => Number(row.v));
    expect(versions.length).toBeGreaterThan(1);
    expect(versions).toEqual(versions.map((_, i) => versions[0]! + i));
    expect((await replayProjections(store)).Equal).toBe(true);
  }, 60_000);
});
