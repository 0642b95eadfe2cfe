import type { EntityDefinition, Profile, StoredField } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { IdentityMode } from "../schemas/enums.js";
import { issue } from "../domain/issues.js";
import { normalizeIdentity, normalizeKey } from "../domain/keys.js";
import { isIssue, normalizeFieldValue } from "./field-values.js";

/** A record read, mapped and validated on its own, before anything is looked up. */
export type PreparedRow = {
  rowIndex: number;
  /** Canonical field key → normalized value; null clears; absent keys are untouched. */
  values: Record<string, unknown>;
  identity: string | null;
  instanceId: string | null;
  rowVersion: string | null;
  errors: Issue[];
  warnings: Issue[];
};

const ROW_META = ["InstanceId", "RowVersion"] as const;
const INSTANCE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Resolves package keys to field keys once per file, not once per row. */
export function createFieldResolver(definition: EntityDefinition, profile: Profile) {
  const fields = new Map(definition.Fields.map((f) => [f.Key, f] as const));
  const cache = new Map<string, StoredField | null>();
  return (packageKey: string): StoredField | null => {
    let hit = cache.get(packageKey);
    if (hit === undefined) {
      // Own keys only: a package key such as "constructor" must not read Object.prototype.
      const mapped = Object.hasOwn(profile.FieldMap, packageKey) ? profile.FieldMap[packageKey] : undefined;
      hit = fields.get(mapped ?? normalizeKey(packageKey)) ?? null;
      cache.set(packageKey, hit);
    }
    return hit;
  };
}

export function prepareRow(
  record: unknown,
  rowIndex: number,
  profile: Profile,
  resolve: ReturnType<typeof createFieldResolver>,
): PreparedRow {
  const row: PreparedRow = { rowIndex, values: {}, identity: null, instanceId: null, rowVersion: null, errors: [], warnings: [] };
  if (!isObject(record) || !isObject(record.Fields)) {
    row.errors.push(issue("invalid_package", "Record must be an object with a Fields object.", { rowIndex }));
    return row;
  }
  for (const name of ROW_META) {
    const v = record[name];
    if (v !== undefined && v !== null && typeof v !== "string") row.errors.push(issue("invalid_field_value", `${name} must be a string or null.`, { fieldKey: name, rowIndex }));
  }
  const instanceId = typeof record.InstanceId === "string" ? record.InstanceId.trim() : "";
  row.instanceId = instanceId || null;
  row.rowVersion = typeof record.RowVersion === "string" && record.RowVersion.trim() ? record.RowVersion.trim() : null;

  const fields = record.Fields;
  // for…in over own keys: this loop runs for every value of every row, so no entry arrays.
  for (const packageKey in fields) {
    if (!Object.hasOwn(fields, packageKey)) continue;
    const raw = fields[packageKey];
    const field = resolve(packageKey);
    if (!field) {
      row.warnings.push(issue("unknown_field", `'${packageKey}' is not a field of this entity and is ignored.`, { fieldKey: packageKey, rowIndex }));
      continue;
    }
    const v = normalizeFieldValue(field, raw, rowIndex);
    if (isIssue(v)) row.errors.push(v);
    else row.values[field.Key] = v;
  }

  if (profile.IdentityMode === IdentityMode.Field) {
    const key = profile.IdentityFieldKey ?? "";
    row.identity = normalizeIdentity(Object.hasOwn(row.values, key) ? row.values[key] : null);
    if (row.identity === null && !hasIssueFor(row.errors, key))
      row.errors.push(issue("missing_identity", `The identity field '${key}' has no value.`, { fieldKey: key, rowIndex }));
  } else if (profile.IdentityMode === IdentityMode.InstanceId) {
    row.identity = row.instanceId;
    if (!row.identity) row.errors.push(issue("missing_identity", "InstanceId is required to match records by instance id.", { fieldKey: "InstanceId", rowIndex }));
    else if (!INSTANCE_ID.test(row.identity)) {
      row.errors.push(issue("invalid_field_value", "InstanceId may hold only letters, digits and . _ : - (at most 128).", { fieldKey: "InstanceId", rowIndex }));
      row.identity = null;
    }
  }
  return row;
}

/**
 * The identity prepareRow gives `record`, without preparing the rest of it: the last valid value
 * of the identity field (Field mode) or the valid InstanceId (InstanceId mode), normalized.
 */
export function identityOf(record: unknown, profile: Profile, resolve: ReturnType<typeof createFieldResolver>): string | null {
  if (!isObject(record) || !isObject(record.Fields)) return null;
  if (profile.IdentityMode === IdentityMode.Field) {
    const key = profile.IdentityFieldKey ?? "";
    const fields = record.Fields;
    let value: unknown = null;
    for (const packageKey in fields) {
      if (!Object.hasOwn(fields, packageKey)) continue;
      const field = resolve(packageKey);
      if (field?.Key !== key) continue;
      const v = normalizeFieldValue(field, fields[packageKey], null);
      if (!isIssue(v)) value = v;
    }
    return normalizeIdentity(value);
  }
  if (profile.IdentityMode === IdentityMode.InstanceId) {
    const id = typeof record.InstanceId === "string" ? record.InstanceId.trim() : "";
    return id && INSTANCE_ID.test(id) ? id : null;
  }
  return null;
}

const hasIssueFor = (issues: Issue[], fieldKey: string) => {
  for (let i = 0; i < issues.length; i++) if (issues[i]!.FieldKey === fieldKey) return true;
  return false;
};

/** The issue every row of a duplicated identity gets. */
export const duplicateIdentity = (r: Pick<PreparedRow, "identity" | "rowIndex">) =>
  issue("duplicate_identity_in_file", `Identity '${r.identity}' appears more than once in the file.`, { rowIndex: r.rowIndex });

/** Notes rows whose identity was seen before: all rows of a repeated identity, the first one too. */
export type DuplicateFinder = ReturnType<typeof duplicateFinder>;

export function duplicateFinder() {
  const firstRow = new Map<string, number>();
  const duplicates = new Set<number>();
  return {
    duplicates,
    see(r: Pick<PreparedRow, "identity" | "rowIndex">): void {
      if (r.identity === null) return;
      const first = firstRow.get(r.identity);
      if (first === undefined) firstRow.set(r.identity, r.rowIndex);
      else duplicates.add(first).add(r.rowIndex);
    },
  };
}

/** Two records with the same identity: both (all) rows get duplicate_identity_in_file. */
export function markDuplicateIdentities(rows: PreparedRow[]): void {
  const finder = duplicateFinder();
  for (const r of rows) finder.see(r);
  for (const r of rows) if (finder.duplicates.has(r.rowIndex)) r.errors.push(duplicateIdentity(r));
}
