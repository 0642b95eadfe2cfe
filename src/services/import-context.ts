import type { InstanceState, PlanMatch } from "../domain/instance.js";
import { instancesByIdentity, instancesByIds, findDefinition, findProfile, planMatchesByIdentity, planMatchesByIds } from "../projections/queries.js";
import type { EntityDefinition, Profile } from "../schemas/definitions.js";
import { IdentityMode } from "../schemas/enums.js";
import type { EntityRef, PlanProfile } from "../schemas/transfer.js";
import { createFieldResolver, markDuplicateIdentities, prepareRow, type PreparedRow } from "../import/prepare.js";
import type { EventStore } from "../store/event-store.js";
import type { Deps, Failure } from "./deps.js";
import { entityNotFound } from "./definitions.service.js";
import { profileNotFound } from "./profiles.service.js";

export type ImportTarget = { definition: EntityDefinition; profile: Profile };

export async function resolveTarget(deps: Deps, entityRef: string, profileRef: string): Promise<{ ok: true; target: ImportTarget } | Failure> {
  const definition = await findDefinition(deps.store, entityRef);
  if (!definition) return entityNotFound(entityRef);
  const profile = await findProfile(deps.store, definition.Id, profileRef);
  if (!profile) return profileNotFound(profileRef);
  return { ok: true, target: { definition, profile } };
}

export function prepareAll(records: unknown[], target: ImportTarget): PreparedRow[] {
  const resolve = createFieldResolver(target.definition, target.profile);
  const rows = records.map((rec, i) => prepareRow(rec, i + 1, target.profile, resolve));
  markDuplicateIdentities(rows);
  return rows;
}

type Lookups<T> = {
  byIdentity(store: EventStore, entityId: string, fieldKey: string, values: string[]): Promise<Map<string, T>>;
  byIds(store: EventStore, entityId: string, ids: string[]): Promise<Map<string, T>>;
};

/** What each row matches by the profile's identity mode, looked up in bulk. */
const lookupBy =
  <T>({ byIdentity, byIds }: Lookups<T>) =>
  async (deps: Pick<Deps, "store">, target: ImportTarget, rows: PreparedRow[]): Promise<Map<string, T>> => {
    const values = rows.map((r) => r.identity).filter((v): v is string => v !== null);
    if (values.length === 0) return new Map();
    const { definition, profile } = target;
    if (profile.IdentityMode === IdentityMode.Field) return byIdentity(deps.store, definition.Id, profile.IdentityFieldKey!, values);
    if (profile.IdentityMode === IdentityMode.InstanceId) return byIds(deps.store, definition.Id, values);
    return new Map();
  };

/** The current instance each row matches. */
export const lookupMatches = lookupBy<InstanceState>({ byIdentity: instancesByIdentity, byIds: instancesByIds });

/** lookupMatches with only what deciding a plan row reads. */
export const lookupPlanMatches = lookupBy<PlanMatch>({ byIdentity: planMatchesByIdentity, byIds: planMatchesByIds });

export const entityRef = (d: EntityDefinition): EntityRef => ({ Id: d.Id, Key: d.Key, DisplayNameSingular: d.DisplayNameSingular, DisplayNamePlural: d.DisplayNamePlural });
export const planProfile = (p: Profile): PlanProfile => ({ Id: p.Id, Key: p.Key, Name: p.Name, ImportMode: p.ImportMode, IdentityMode: p.IdentityMode });

