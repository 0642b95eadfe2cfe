import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { softDeleteInstances } from "../../src/services/delete-instances.js";
import { resolveTarget } from "../../src/services/import-context.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { instancesByIdentity, instancesByIds, planMatchesByIdentity, planMatchesByIds } from "../../src/projections/queries.js";
import type { InstanceState } from "../../src/domain/instance.js";
import { BY_EMAIL, CANDIDATE } from "../support/fixtures.js";

/** A plan looks up a narrower shape of the matches than apply: it must be the same instances, member for member. */
let dir: string;
let store: EventStore;
let n = 0;
const deps = () => ({ store, now: () => new Date("2026-11-23T00:00:00.000Z"), newId: () => `id-${String(++n).padStart(6, "0")}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
// Identities JSON and SQL must quote or keep as they are: quotes, backslashes, non-ASCII.
const emails = Array.from({ length: 300 }, (_, i) => [`p${i}@example.at`, `q"${i}\\@example.at`, `müller.${i}@example.at`][i % 3]!);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "plan-matches-"));
  store = createLibsqlEventStore(await openDatabase(`file:${join(dir, "db.db")}`));
  expect((await createDefinition(deps(), actor, CANDIDATE as never)).ok).toBe(true);
  expect((await createProfile(deps(), actor, CANDIDATE.Key, { ...BY_EMAIL, SkipUnchanged: true } as never)).ok).toBe(true);
  const records = emails.map((email, i) => ({ Fields: { email, first_name: `F${i}`, last_name: 'L "x"', age: i % 90 } }));
  const applied = await applyImport(deps(), actor, CANDIDATE.Key, BY_EMAIL.Key, await uploadOfText(JSON.stringify({ FormatVersion: 1, Records: records })), `1-${emails.length}`);
  expect(applied.ok).toBe(true);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const planShape = (m: Map<string, InstanceState>) => new Map([...m].map(([k, i]) => [k, { Id: i.Id, Fields: i.Fields, RowVersion: i.RowVersion, Deleted: i.Deleted }]));

describe("plan matches", () => {
  it("are the full matches' Id, Fields, RowVersion and Deleted, by identity and by id, deleted instances included", async () => {
    const t = await resolveTarget(deps(), CANDIDATE.Key, BY_EMAIL.Key);
    if (!t.ok) throw new Error("no target");
    const entityId = t.target.definition.Id;
    const full = await instancesByIdentity(store, entityId, "email", [...emails, "nobody@example.at"]);
    expect(full.size).toBe(emails.length);
    const victims = [...full.values()].filter((_, i) => i % 7 === 0);
    await softDeleteInstances(deps(), t.target.definition, victims, { ...actor, CausationId: null }, "run-x", "test");

    const values = [...emails, "nobody@example.at", ...emails.slice(0, 5)];
    const byIdentity = await instancesByIdentity(store, entityId, "email", values);
    expect(await planMatchesByIdentity(store, entityId, "email", values)).toEqual(planShape(byIdentity));

    const ids = [...[...full.values()].map((i) => i.Id), "no-such-id"];
    const byIds = await instancesByIds(store, entityId, ids);
    expect([...byIds.values()].filter((i) => i.Deleted).length).toBe(victims.length);
    expect(await planMatchesByIds(store, entityId, ids)).toEqual(planShape(byIds));
  });
});
