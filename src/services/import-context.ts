import type { InstanceState, PlanMatch } from "../domain/instance.js";
import { instancesByIdentity, instancesByIds, instanceTextsByIdentity, instanceTextsByIds, findDefinition, findProfile, planMatchesByIdentity, planMatchesByIds, type InstanceTexts } from "../projections/queries.js";
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

type Lookups<R> = {
  byIdentity(store: EventStore, entityId: string, fieldKey: string, values: string[]): Promise<R>;
  byIds(store: EventStore, entityId: string, ids: string[]): Promise<R>;
  /** The answer when no row has an identity to look up. */
  none(): R;
};

/** What each identity matches by the profile's identity mode, looked up in bulk. */
const lookupValues =
  <R>({ byIdentity, byIds, none }: Lookups<R>) =>
  async (deps: Pick<Deps, "store">, target: ImportTarget, identities: (string | null)[]): Promise<R> => {
    const values = identities.filter((v): v is string => v !== null);
    if (values.length === 0) return none();
    const { definition, profile } = target;
    if (profile.IdentityMode === IdentityMode.Field) return byIdentity(deps.store, definition.Id, profile.IdentityFieldKey!, values);
    if (profile.IdentityMode === IdentityMode.InstanceId) return byIds(deps.store, definition.Id, values);
    return none();
  };

/** What each row matches by the profile's identity mode, looked up in bulk. */
const lookupBy = <R>(lookups: Lookups<R>) => {
  const byValues = lookupValues(lookups);
  return (deps: Pick<Deps, "store">, target: ImportTarget, rows: PreparedRow[]): Promise<R> => byValues(deps, target, rows.map((r) => r.identity));
};

/** The current instance each row matches. */
export const lookupMatches = lookupBy<Map<string, InstanceState>>({ byIdentity: instancesByIdentity, byIds: instancesByIds, none: () => new Map() });

/** lookupMatches with only what deciding a plan row reads. */
export const lookupPlanMatches = lookupBy<Map<string, PlanMatch>>({ byIdentity: planMatchesByIdentity, byIds: planMatchesByIds, none: () => new Map() });

/**
 * lookupMatches asked of the database thread's connection (EventStore.queryBeside), unparsed
 * (matchesOf parses them): an apply's first pass sends them while it reads the file and the
 * writer is idle. Null without such a connection: there it would only move the work.
 */
export function lookupMatchesBeside(deps: Pick<Deps, "store">, target: ImportTarget, identities: (string | null)[]): Promise<InstanceTexts> | null {
  const beside = deps.store.queryBeside;
  if (!beside) return null;
  return lookupValues<InstanceTexts>({
    byIdentity: (store, entityId, fieldKey, values) => instanceTextsByIdentity(store, entityId, fieldKey, values, beside),
    byIds: (store, entityId, ids) => instanceTextsByIds(store, entityId, ids, beside),
    none: () => [],
  })(deps, target, identities);
}

export const entityRef = (d: EntityDefinition): EntityRef => ({ Id: d.Id, Key: d.Key, DisplayNameSingular: d.DisplayNameSingular, DisplayNamePlural: d.DisplayNamePlural });
export const planProfile = (p: Profile): PlanProfile => ({ Id: p.Id, Key: p.Key, Name: p.Name, ImportMode: p.ImportMode, IdentityMode: p.IdentityMode });

