import { HOKIFY_ENTITIES, HOKIFY_ENTITY_TYPES, HOKIFY_ID_FIELD, HOKIFY_PROFILE_KEY, type HokifyEntitySpec, type HokifyEntityType } from "../hokify/mapping.js";
import { findDefinition, findProfile } from "../projections/queries.js";
import { IdentityMode, ImportMode } from "../schemas/enums.js";
import type { Actor, Deps } from "./deps.js";
import { changeDefinition, createDefinition } from "./definitions.service.js";
import type { ImportTarget } from "./import-context.js";
import { createProfile } from "./profiles.service.js";

export type HokifyTargets = Record<HokifyEntityType, ImportTarget>;

/**
 * The definitions and profiles the import writes through, created on first use by the same
 * services (and so the same events) as a user's own. A workspace that already has an entity with
 * the key (say its own `candidate`) keeps it: missing Hokify fields are added, nothing is changed.
 */
export async function ensureHokifyTargets(deps: Deps, actor: Actor): Promise<HokifyTargets> {
  const out = {} as HokifyTargets;
  for (const type of HOKIFY_ENTITY_TYPES) out[type] = await ensureTarget(deps, actor, HOKIFY_ENTITIES[type]);
  return out;
}

async function ensureTarget(deps: Deps, actor: Actor, spec: HokifyEntitySpec): Promise<ImportTarget> {
  let definition = await findDefinition(deps.store, spec.key);
  if (!definition) {
    const created = await createDefinition(deps, actor, { Key: spec.key, DisplayNameSingular: spec.singular, DisplayNamePlural: spec.plural, Fields: spec.fields });
    // A concurrent run (another scope) may have created it first: use theirs.
    definition = created.ok ? created.definition : await findDefinition(deps.store, spec.key);
  }
  if (!definition) throw new Error(`could not create the '${spec.key}' entity definition`);

  const missing = spec.fields.filter((f) => !definition!.Fields.some((d) => d.Key === f.Key));
  if (missing.length > 0) {
    const changed = await changeDefinition(deps, actor, definition.Id, { Fields: missing });
    definition = changed.ok ? changed.definition : await findDefinition(deps.store, spec.key);
    if (!definition) throw new Error(`the '${spec.key}' entity definition disappeared`);
  }

  let profile = await findProfile(deps.store, definition.Id, HOKIFY_PROFILE_KEY);
  if (!profile) {
    const created = await createProfile(deps, actor, definition.Id, {
      Key: HOKIFY_PROFILE_KEY,
      Name: "Hokify import (match on the Hokify id)",
      ImportMode: ImportMode.Upsert,
      IdentityMode: IdentityMode.Field,
      IdentityFieldKey: HOKIFY_ID_FIELD,
      FieldMap: null,
      SkipUnchanged: true,
    });
    profile = created.ok ? created.profile : await findProfile(deps.store, definition.Id, HOKIFY_PROFILE_KEY);
  }
  if (!profile) throw new Error(`could not create the '${HOKIFY_PROFILE_KEY}' profile of '${spec.key}'`);
  // Matching on anything else would duplicate every record at each run.
  if (profile.IdentityMode !== IdentityMode.Field || profile.IdentityFieldKey !== HOKIFY_ID_FIELD || profile.ImportMode !== ImportMode.Upsert)
    throw new Error(`profile '${HOKIFY_PROFILE_KEY}' of '${spec.key}' must be Upsert matching on '${HOKIFY_ID_FIELD}'`);
  return { definition, profile };
}
