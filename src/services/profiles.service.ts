import type { z } from "@hono/zod-openapi";
import { evolveProfile, decideCreateProfile } from "../domain/profiles.js";
import { issue } from "../domain/issues.js";
import { normalizeKey } from "../domain/keys.js";
import { backfillGuard, identityBackfill, instancesChangedSince } from "../projections/identity-backfill.js";
import { findDefinition, findProfile, identityFieldsOf, lastPosition } from "../projections/queries.js";
import type { Stmt } from "../store/event-store.js";
import type { Profile, ProfileBodySchema } from "../schemas/definitions.js";
import { IdentityMode } from "../schemas/enums.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityNotFound } from "./definitions.service.js";

export type ProfileOutcome = { ok: true; status: 201; profile: Profile } | Failure;

export async function createProfile(deps: Deps, actor: Actor, entityRef: string, input: z.output<typeof ProfileBodySchema>): Promise<ProfileOutcome> {
  const definition = await findDefinition(deps.store, entityRef);
  if (!definition) return entityNotFound(entityRef);
  const existing = await findProfile(deps.store, definition.Id, normalizeKey(input.Key) || "\u0000");
  const decision = decideCreateProfile(input, { id: deps.newId(), definition, keyTaken: (k) => existing?.Key === k });
  if (!decision.ok) return decision;
  const event = decision.events[0]!;

  // A new identity field needs the identity index filled for the instances that already exist. It
  // is read from the instances as they are at `seen`; an import changing one of them before this
  // commit aborts it (backfillGuard), and the index is read again.
  const identityField = event.data.IdentityMode === IdentityMode.Field ? event.data.IdentityFieldKey : null;
  const newIdentity = identityField !== null && !(await identityFieldsOf(deps.store, definition.Id)).includes(identityField);
  const query = (stmt: Stmt) => deps.store.query(stmt);
  for (let attempt = 1; ; attempt++) {
    const seen = newIdentity ? await lastPosition(query) : 0;
    const extra = newIdentity ? await identityBackfill(query, definition.Id, identityField) : [];
    const guards = newIdentity ? [backfillGuard(definition.Id, seen)] : [];
    const outcome = await commitEvents(deps, [{ streamId: streams.profile(event.data.ProfileId), streamVersion: 1, event }], { ...actor, CausationId: null }, { extra, guards });
    if (outcome.ok) return { ok: true, status: 201, profile: evolveProfile(null, event) };
    if (!newIdentity || !(await instancesChangedSince(query, definition.Id, seen)))
      return { ok: false, status: 409, errors: [issue("key_already_exists", `A profile with key '${event.data.Key}' exists.`, { fieldKey: "Key" })] };
    if (attempt === BACKFILL_ATTEMPTS)
      return {
        ok: false,
        status: 409,
        errors: [issue("concurrency_conflict", `Instances of '${definition.Key}' kept changing while the identity index for '${identityField}' was being filled; try again when the running imports have finished.`)],
      };
  }
}

/** Backfills read again while imports keep changing the entity's instances, before giving up with 409. */
const BACKFILL_ATTEMPTS = 5;

export const profileNotFound = (ref: string): Failure => ({
  ok: false,
  status: 404,
  errors: [issue("profile_not_found", `No profile of this entity has the id or key '${ref.trim().slice(0, 100)}'.`, { fieldKey: "ProfileId" })],
});
