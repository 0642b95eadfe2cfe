import type { z } from "@hono/zod-openapi";
import { evolveProfile, decideCreateProfile } from "../domain/profiles.js";
import { issue } from "../domain/issues.js";
import { normalizeKey } from "../domain/keys.js";
import { identityBackfill } from "../projections/identity-backfill.js";
import { findDefinition, findProfile, identityFieldsOf } from "../projections/queries.js";
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

  // A new identity field needs the identity index filled for the instances that already exist.
  const identityField = event.data.IdentityMode === IdentityMode.Field ? event.data.IdentityFieldKey : null;
  const extra =
    identityField && !(await identityFieldsOf(deps.store, definition.Id)).includes(identityField)
      ? await identityBackfill((stmt) => deps.store.query(stmt), definition.Id, identityField)
      : [];

  const outcome = await commitEvents(deps, [{ streamId: streams.profile(event.data.ProfileId), streamVersion: 1, event }], { ...actor, CausationId: null }, { extra });
  if (!outcome.ok) return { ok: false, status: 409, errors: [issue("key_already_exists", `A profile with key '${event.data.Key}' exists.`, { fieldKey: "Key" })] };
  return { ok: true, status: 201, profile: evolveProfile(null, event) };
}

export const profileNotFound = (ref: string): Failure => ({
  ok: false,
  status: 404,
  errors: [issue("profile_not_found", `No profile of this entity has the id or key '${ref.trim().slice(0, 100)}'.`, { fieldKey: "ProfileId" })],
});
