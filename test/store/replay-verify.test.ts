import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DomainEvent } from "../../events/catalog.js";
import { openDatabase } from "../../src/runtime/open-database.js";
import { identityBackfill } from "../../src/projections/identity-backfill.js";
import { identityFieldsOf } from "../../src/projections/queries.js";
import { projectionDdl } from "../../src/replay/rebuild.js";
import { replayProjections } from "../../src/replay/replay.js";
import { verifyProjections } from "../../src/replay/verify.js";
import { commitEvents, type PendingEvent } from "../../src/services/commit.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";

/**
 * The replay verifies the live tables in place when it can and rebuilds them otherwise. Whatever
 * the log and whatever was done to the live tables, the in-place verification must report
 * exactly what the rebuild reports, or decline (and leave it to the rebuild).
 */

const ENTITIES = ["def-a", "def-b"];
// Identity values: case and space variants, non-ASCII, escapes, numbers and other JSON types.
const value = fc.constantFrom<unknown>("a@x.at", "A@x.at", " a@x.at ", "b@x.at", "Ärger@x.at", "tab\there", "q\"uote", "", "  ", 5, 5.5, 12345678901234567890, true, null, { n: 1 }, ["x"]);
const anyFields = fc.dictionary(fc.constantFrom("email", "name", "city", "RowVersion", "10"), value, { maxKeys: 4 });
// The usual log: distinct ASCII e-mails (some upper case or padded), names that may repeat,
// updates that change other fields, no deletes. The in-place check judges these itself.
const usualFields = fc.record(
  { email: fc.tuple(fc.nat(999), fc.constantFrom("", " ", "X")).map(([n, v]) => (v === "X" ? `U${n}@X.at` : `${v}u${n}@x.at${v}`)), name: fc.oneof({ arbitrary: fc.nat(999).map((n) => `Name ${n}`), weight: 8 }, { arbitrary: fc.constantFrom("Anna", "anna ", "", null), weight: 1 }), city: fc.string({ maxLength: 4 }) },
  { requiredKeys: ["email"] },
);
const usualChanges = fc.record({ city: fc.option(fc.string({ maxLength: 4 })), score: fc.integer() }, { requiredKeys: [] });

type Command =
  | { kind: "profile"; entity: number; field: "email" | "name" | "city" }
  | { kind: "create"; entity: number; fields: Record<string, unknown> }
  | { kind: "update"; target: number; changes: Record<string, unknown> }
  | { kind: "delete"; target: number };

const commandOf = (fields: fc.Arbitrary<Record<string, unknown>>, changes: fc.Arbitrary<Record<string, unknown>>, deletes: number, identity: ("email" | "name" | "city")[]): fc.Arbitrary<Command> =>
  fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant("profile" as const), entity: fc.nat(1), field: fc.constantFrom(...identity) }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant("create" as const), entity: fc.nat(1), fields }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant("update" as const), target: fc.nat(40), changes }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant("delete" as const), target: fc.nat(40) }), weight: deletes },
  );
const anyCommand = commandOf(anyFields, anyFields, 1, ["email", "name", "city"]);
const usualCommand = commandOf(usualFields, usualChanges, 0, ["email", "name"]);

/** Commits of one to three commands; `sameTime` reuses the previous commit's time. */
const commitOf = (command: fc.Arbitrary<Command>) => fc.record({ commands: fc.array(command, { minLength: 1, maxLength: 3 }), sameTime: fc.boolean() });

const TAMPER = [
  "UPDATE instances SET fields = json_set(fields, '$.city', 'X') WHERE id = (SELECT max(id) FROM instances)",
  "UPDATE instances SET fields = fields || ' ' WHERE id = (SELECT min(id) FROM instances)",
  "UPDATE instances SET row_version = 'rv' WHERE id = (SELECT min(id) FROM instances)",
  "UPDATE instances SET version = version + 1 WHERE id = (SELECT min(id) FROM instances)",
  "DELETE FROM instance_keys WHERE value = (SELECT min(value) FROM instance_keys)",
  "UPDATE instance_keys SET value = upper(value) WHERE value = (SELECT min(value) FROM instance_keys)",
  "UPDATE instance_keys SET instance_id = (SELECT max(id) FROM instances) WHERE value = (SELECT max(value) FROM instance_keys)",
  "INSERT OR IGNORE INTO instance_keys SELECT entity_id, 'email', 'zz@x.at', id FROM instances LIMIT 1",
  "DELETE FROM instances WHERE id = (SELECT max(id) FROM instances)",
  "UPDATE import_runs SET summary = '{}'",
];

async function run(commits: { commands: Command[]; sameTime: boolean }[], store: EventStore) {
  let clock = Date.parse("2026-01-01T00:00:00.000Z");
  let ids = 0;
  let time = clock;
  const deps = { store, now: () => new Date(time), newId: () => `id-${String(++ids).padStart(5, "0")}` };
  const meta = { Actor: "tok_test", RequestId: null, CorrelationId: null, CausationId: null };
  const instances: { id: string; entity: string; version: number; deleted: boolean }[] = [];
  const profiles = new Set<string>();
  const fields = ["email", "name", "city"].map((Key) => ({ Key, Label: Key, Type: "string" as const, Required: false, MaxLength: null, Options: null }));
  for (const entity of ENTITIES) {
    const event: DomainEvent = { type: "EntityDefinitionCreated", data: { DefinitionId: entity, Key: entity, DisplayNameSingular: entity, DisplayNamePlural: entity, Fields: fields } };
    await commitEvents(deps, [{ streamId: `definition-${entity}`, streamVersion: 1, event }], meta);
  }
  for (const c of commits) {
    time = c.sameTime ? time : (clock += 1 + (ids % 3));
    const pending: PendingEvent[] = [];
    const touched = new Set<string>();
    let extra: Awaited<ReturnType<typeof identityBackfill>> = [];
    for (const cmd of c.commands) {
      if (cmd.kind === "profile") {
        const entity = ENTITIES[cmd.entity]!;
        if (pending.length || profiles.has(`${entity}/${cmd.field}`)) continue; // a profile is its own commit
        profiles.add(`${entity}/${cmd.field}`);
        if (!(await identityFieldsOf(store, entity)).includes(cmd.field)) extra = await identityBackfill((s) => store.query(s), entity, cmd.field);
        const id = deps.newId();
        pending.push({
          streamId: `profile-${id}`,
          streamVersion: 1,
          event: { type: "ImportProfileCreated", data: { ProfileId: id, EntityId: entity, Key: `by_${cmd.field}_${id}`, Name: cmd.field, ImportMode: 0, IdentityMode: 0, IdentityFieldKey: cmd.field, FieldMap: {}, SkipUnchanged: true } },
        });
        break;
      }
      if (cmd.kind === "create") {
        const id = deps.newId();
        const entity = ENTITIES[cmd.entity]!;
        instances.push({ id, entity, version: 1, deleted: false });
        pending.push({ streamId: `instance-${id}`, streamVersion: 1, event: { type: "InstanceCreated", data: { InstanceId: id, EntityId: entity, Fields: cmd.fields, RowVersion: deps.newId(), RunId: null } } });
        touched.add(id);
        continue;
      }
      const target = instances[cmd.target % Math.max(1, instances.length)];
      if (!target || target.deleted || touched.has(target.id)) continue;
      touched.add(target.id);
      target.version++;
      const base = { InstanceId: target.id, EntityId: target.entity, RowVersion: deps.newId(), RunId: null };
      if (cmd.kind === "update") pending.push({ streamId: `instance-${target.id}`, streamVersion: target.version, event: { type: "InstanceUpdated", data: { ...base, Changes: cmd.changes } } });
      else {
        target.deleted = true;
        pending.push({ streamId: `instance-${target.id}`, streamVersion: target.version, event: { type: "InstanceDeleted", data: { ...base, Reason: null } } });
      }
    }
    if (!pending.length) continue;
    const identity = new Map<string, string[]>();
    for (const entity of ENTITIES) identity.set(entity, await identityFieldsOf(store, entity));
    const outcome = await commitEvents(deps, pending, meta, { identityFields: (e) => identity.get(e) ?? [], extra });
    expect(outcome.ok).toBe(true);
  }
}

async function check(commits: { commands: Command[]; sameTime: boolean }[], tamper: string | undefined): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), "verify-"));
  const client = await openDatabase(`file:${join(dir, "v.db")}`);
  const store = createLibsqlEventStore(client);
  try {
    await run(commits, store);
    if (tamper) await client.execute(tamper);
    const fast = await verifyProjections(store, await projectionDdl(store));
    const full = await replayProjections(store, { rebuild: true });
    if (fast) {
      expect(fast.projections).toEqual(full.Projections);
      expect(fast.events).toBe(full.Events);
      expect(fast.last).toBe(full.LastPosition);
    }
    const auto = await replayProjections(store);
    expect(auto.Projections).toEqual(full.Projections);
    return fast !== null && full.Projections.some((p) => p.Projection === "instance_keys" && p.LiveRows > 0);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("replay verification in place", () => {
  it("rebuilds null field values as live creates store them (the shrunk counterexamples)", async () => {
    // A live create stores its Fields as they are, nulls included; a rebuild that upserted
    // placeholder rows first and json_patched the fields onto them dropped the nulls.
    await check([{ commands: [{ kind: "create", entity: 0, fields: { email: null } }], sameTime: false }, { commands: [{ kind: "create", entity: 0, fields: {} }], sameTime: false }], undefined);
    await check(
      [
        { commands: [{ kind: "create", entity: 0, fields: { email: "u0@x.at", name: null } }], sameTime: false },
        { commands: [{ kind: "create", entity: 0, fields: { email: "u0@x.at" } }], sameTime: false },
        { commands: [{ kind: "update", target: 0, changes: {} }], sameTime: false },
      ],
      undefined,
    );
    for (const tamper of [undefined, TAMPER[0]]) {
      const dir = mkdtempSync(join(tmpdir(), "verify-"));
      const client = await openDatabase(`file:${join(dir, "v.db")}`);
      const store = createLibsqlEventStore(client);
      try {
        await run([{ commands: [{ kind: "create", entity: 0, fields: { email: null, name: "n" } }, { kind: "update", target: 0, changes: {} }], sameTime: false }, { commands: [{ kind: "update", target: 0, changes: {} }], sameTime: false }], store);
        if (tamper) await client.execute(tamper);
        const full = await replayProjections(store, { rebuild: true });
        expect(full.Projections.find((p) => p.Projection === "instances")?.Equal).toBe(!tamper);
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("judges identity values of any JSON type, non-ASCII and escaped, and agrees with the rebuild", async () => {
    // Values of every JSON type, case and space variants, non-ASCII and escapes: the in-place check
    // must judge them itself (not decline) and agree with the rebuild, tampered or not.
    const values: unknown[] = ["Ärger@X.at", "ÄRGER@x.at ", "tab\there", 'q"uote', "\u00a0", "  ", "", "Plain@X.at", " plain2@x.at ", 5, 5.5, 12345678901234567890, true, null, { n: 1 }, ["x"], "e\u0301@x.at"];
    const commits = [
      { commands: [{ kind: "profile" as const, entity: 0, field: "email" as const }], sameTime: false },
      { commands: [{ kind: "profile" as const, entity: 1, field: "name" as const }], sameTime: false },
      ...values.map((v, i) => ({ commands: [{ kind: "create" as const, entity: i % 2, fields: { email: v, name: typeof v === "string" ? `${v}-${i}` : v } }], sameTime: false })),
    ];
    expect(await check(commits, undefined)).toBe(true);
    for (const tamper of TAMPER) await check(commits, tamper);
  });

  it("reports what a full rebuild reports, before and after tampering, for any log", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commitOf(anyCommand), { minLength: 1, maxLength: 14 }), fc.option(fc.constantFrom(...TAMPER), { nil: undefined }), async (commits, tamper) => {
        await check(commits, tamper);
      }),
      { numRuns: Number(process.env.VERIFY_RUNS ?? 100) },
    );
  }, 300_000);

  it("judges the usual log itself, identity index included, and still agrees with the rebuild", async () => {
    let judged = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(commitOf(usualCommand), { minLength: 1, maxLength: 14 }), fc.option(fc.constantFrom(...TAMPER), { nil: undefined, freq: 2 }), async (commits, tamper) => {
        if (await check(commits, tamper)) judged++;
      }),
      { numRuns: Number(process.env.VERIFY_RUNS ?? 100) },
    );
    // The in-place check must have decided logs with identity claims, not only declined them.
    expect(judged).toBeGreaterThan(5);
  }, 300_000);
});
