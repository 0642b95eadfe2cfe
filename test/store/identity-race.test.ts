import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventStore } from "../../src/store/event-store.js";
import { createProfile } from "../../src/services/profiles.service.js";
import { applyImport } from "../../src/services/apply.service.js";
import { runReplay } from "../../src/services/replay.service.js";
import { uploadOfText } from "../../src/import/package-spool.js";
import { BY_EMAIL, CANDIDATE } from "../support/fixtures.js";
import { candidateStore } from "../support/db.js";

/**
 * A profile that makes a field an identity field fills the identity index for the instances that
 * exist, and every later commit claims that field too. When the profile is created while an apply
 * runs, no instance may end up without its claim: the replay must find the index equal to the log.
 * On a real file opened as the Node server opens it.
 */
let store: EventStore;
let n = 0;
const deps = (s: EventStore) => ({ store: s, now: () => new Date(), newId: () => `id-${String(++n).padStart(6, "0")}` });
const actor = { Actor: "test", RequestId: null, CorrelationId: null };
const BY_NAME = { Key: "by_name", Name: "Match on first name", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "first_name" };
const upload = (from: number, count: number) =>
  uploadOfText(JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: count }, (_, i) => ({ Fields: { email: `p${from + i}@example.at`, first_name: `N${from + i}` } })) }));
const claims = async () => Object.fromEntries((await store.query("SELECT field_key, count(*) AS n FROM instance_keys GROUP BY field_key")).map((r) => [r.field_key, Number(r.n)]));

let close: () => Promise<void>;
beforeEach(async () => {
  ({ store, close } = await candidateStore("identity-race-", deps, actor));
});
afterEach(() => close());

describe("a profile with a new identity field, created while an apply runs", () => {
  it("between two of the apply's commits: the later commits claim the new field", async () => {
    let appends = 0;
    const racing: EventStore = {
      ...store,
      append: async (commit) => {
        if (++appends === 2) expect((await createProfile(deps(store), actor, CANDIDATE.Key, BY_NAME as never)).ok).toBe(true);
        return store.append(commit);
      },
    };
    const applied = await applyImport(deps(racing), actor, CANDIDATE.Key, BY_EMAIL.Key, await upload(0, 6000), "1-6000");
    expect(applied.ok && applied.result.Summary).toMatchObject({ AppliedRows: 6000, CreateRows: 6000, FailedRows: 0 });
    expect(await claims()).toEqual({ email: 6000, first_name: 6000 });
    const replay = await runReplay(deps(store));
    expect(replay.ok && replay.report.Equal).toBe(true);
  }, 60_000);

  it("between reading the instances for its index and committing it: the index is read again", async () => {
    expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await upload(0, 100), "1-100")).ok).toBe(true);
    // An apply of 50 more instances commits right before the profile's commit, after its backfill was read.
    let injected = 0;
    const racing: EventStore = {
      ...store,
      append: async (commit) => {
        if (injected++ === 0) expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await upload(100, 50), "1-50")).ok).toBe(true);
        return store.append(commit);
      },
    };
    const created = await createProfile(deps(racing), actor, CANDIDATE.Key, BY_NAME as never);
    expect(created.ok).toBe(true);
    expect(injected).toBe(2); // the first commit was refused, the index read again and committed
    expect(await claims()).toEqual({ email: 150, first_name: 150 });
    const replay = await runReplay(deps(store));
    expect(replay.ok && replay.report.Equal).toBe(true);
  }, 60_000);

  it("gives up with 409, nothing written, when the instances keep changing", async () => {
    let next = 0;
    const racing: EventStore = {
      ...store,
      append: async (commit) => {
        expect((await applyImport(deps(store), actor, CANDIDATE.Key, BY_EMAIL.Key, await upload(1000 + 10 * next++, 10), "1-10")).ok).toBe(true);
        return store.append(commit);
      },
    };
    const created = await createProfile(deps(racing), actor, CANDIDATE.Key, BY_NAME as never);
    expect(created.ok ? 201 : created.status).toBe(409);
    expect(created.ok ? "" : created.errors[0]!.Code).toBe("concurrency_conflict");
    expect(await store.query("SELECT key FROM profiles ORDER BY key")).toEqual([expect.objectContaining({ key: "by_email" })]);
    expect(await claims()).toEqual({ email: 10 * next });
    const replay = await runReplay(deps(store));
    expect(replay.ok && replay.report.Equal).toBe(true);
  }, 60_000);
});
