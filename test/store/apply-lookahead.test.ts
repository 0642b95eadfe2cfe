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
import type { Deps } from "../../src/services/deps.js";

/**
 * With a database thread, an apply's first pass sends each chunk's lookup there while it reads
 * the file, and the second pass decides from those answers. They may be stale by the time a
 * chunk commits; another writer's change in between must be caught, never overwritten or lost.
 */
let dir: string;
let store: EventStore;
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const pkg = (from: number, to: number, name: string) =>
  JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: to - from }, (_, i) => ({ Fields: { email: `ahead${from + i}@example.at`, name } })) });
const N = 5000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lookahead-"));
  const client = await openDatabase(`file:${join(dir, "a.db")}`, undefined, { thread: true });
  const beside = besideConnection(client);
  if (!beside) throw new Error("the thread client has no beside connection");
  store = createLibsqlEventStore(client, { beside });
  const deps: Deps = { store, now: () => new Date(), newId: uuidv7 };
  await createDefinition(deps, actor, { Key: "candidate", DisplayNameSingular: "C", DisplayNamePlural: "Cs", Fields: [{ Key: "email", Label: "E", Type: "email", Required: true }, { Key: "name", Label: "N", Type: "string", Required: false }] });
  await createProfile(deps, actor, "candidate", { Key: "by_email", Name: "E", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email", SkipUnchanged: true });
  const seeded = await applyImport(deps, actor, "candidate", "by_email", await uploadOfText(pkg(0, N, "seed")), `1-${N}`);
  expect(seeded.ok && seeded.result.Summary.CreateRows).toBe(N);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const isLookup = (s: Stmt) => typeof s !== "string" && /FROM json_each\(\?3\) j CROSS JOIN instance_keys/.test(s.sql);

describe("an apply's lookups sent in the first pass", () => {
  it("are all sent before the first commit, one per chunk, and decide every row", async () => {
    const events: string[] = [];
    const deps: Deps = {
      store: {
        ...store,
        queryBeside: (s) => (isLookup(s) && events.push("lookup beside"), store.queryBeside!(s)),
        query: (s) => (isLookup(s) && events.push("lookup here"), store.query(s)),
        append: (c) => (events.push("commit"), store.append(c)),
      },
      now: () => new Date(),
      newId: uuidv7,
    };
    const r = await applyImport(deps, actor, "candidate", "by_email", await uploadOfText(pkg(0, N, "again")), `1-${N}`);
    if (!r.ok) throw new Error("apply refused");
    expect(r.result.Summary).toMatchObject({ UpdateRows: N, CreateRows: 0, FailedRows: 0 });
    expect(events.slice(0, 3)).toEqual(["lookup beside", "lookup beside", "lookup beside"]);
    expect(events.filter((e) => e.startsWith("lookup"))).toEqual(["lookup beside", "lookup beside", "lookup beside"]);
    const names = await store.query("SELECT json_extract(fields, '$.name') AS name, version, count(*) AS n FROM instances GROUP BY name, version");
    expect(names.map((x) => [x.name, Number(x.version), Number(x.n)])).toEqual([["again", 2, N]]);
  });

  it("a change committed after they were answered is caught at commit: the chunk is looked up again and applied on top of it", async () => {
    // A reads its whole file (and its lookups are answered) before its first commit, which is held
    // while B updates rows 2001-5000. A's second and third chunks were decided against the old versions.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = false;
    let lookupsHere = 0;
    const depsA: Deps = {
      store: {
        ...store,
        query: (s) => (isLookup(s) && lookupsHere++, store.query(s)),
        async append(commit) {
          if (!held && commit.events.some((e) => e.type === "InstanceUpdated")) (held = true, await gate);
          return store.append(commit);
        },
      },
      now: () => new Date(),
      newId: uuidv7,
    };
    const depsB: Deps = { store, now: () => new Date(), newId: uuidv7 };
    const first = applyImport(depsA, actor, "candidate", "by_email", await uploadOfText(pkg(0, N, "A")), `1-${N}`);
    while (!held) await new Promise((r) => setTimeout(r, 5));
    const second = await applyImport(depsB, actor, "candidate", "by_email", await uploadOfText(pkg(2000, N, "B")), `1-${N - 2000}`);
    expect(second.ok && second.result.Summary).toMatchObject({ UpdateRows: N - 2000, FailedRows: 0 });
    release();
    const a = await first;
    if (!a.ok) throw new Error("apply refused");
    expect(a.result.Summary).toMatchObject({ UpdateRows: N, FailedRows: 0 });
    expect(lookupsHere).toBeGreaterThan(0); // the stale chunks were looked up again
    // Every row holds A's value on top of B's change: rows 2001-5000 went seed → again → B → A.
    const rows = await store.query("SELECT json_extract(fields, '$.name') AS name, version, count(*) AS n FROM instances GROUP BY name, version ORDER BY version");
    expect(rows.map((x) => [x.name, Number(x.version), Number(x.n)])).toEqual([
      ["A", 3, 2000],
      ["A", 4, N - 2000],
    ]);
    const streams = await store.query("SELECT count(*) AS n FROM events WHERE type = 'InstanceUpdated'");
    expect(Number(streams[0]!.n)).toBe(N + N + (N - 2000));
  });
});
