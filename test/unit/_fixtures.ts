/**
 * Pure fixtures for the domain unit tests: a definition, profiles, instances and a tiny in-memory
 * "plan" that wires prepare → duplicates → match → classify → plan row exactly as the services do,
 * without a database.
 */
import type { InstanceState } from "../../src/domain/instance.js";
import { normalizeIdentity } from "../../src/domain/keys.js";
import { classifyRow, type RowDecision } from "../../src/import/classify.js";
import { createFieldResolver, markDuplicateIdentities, prepareRow, type PreparedRow } from "../../src/import/prepare.js";
import { toPlanRow } from "../../src/import/summaries.js";
import type { EntityDefinition, Profile, StoredField } from "../../src/schemas/definitions.js";
import { IdentityMode, ImportMode } from "../../src/schemas/enums.js";
import type { Issue } from "../../src/schemas/api.js";
import type { PlanRow } from "../../src/schemas/transfer.js";

export const field = (f: Partial<StoredField> & Pick<StoredField, "Key" | "Type">): StoredField => ({
  Label: f.Key,
  Required: false,
  MaxLength: null,
  Options: null,
  ...f,
});

export const candidate: EntityDefinition = {
  Id: "def-candidate",
  Key: "candidate",
  DisplayNameSingular: "Candidate",
  DisplayNamePlural: "Candidates",
  Version: 1,
  Fields: [
    field({ Key: "email", Type: "email", Required: true }),
    field({ Key: "first_name", Type: "string", MaxLength: 5 }),
    field({ Key: "last_name", Type: "string", Required: true }),
    field({ Key: "age", Type: "integer" }),
    field({ Key: "score", Type: "number" }),
    field({ Key: "active", Type: "boolean" }),
    field({ Key: "birth_date", Type: "date" }),
    field({ Key: "seen_at", Type: "datetime" }),
    field({ Key: "website", Type: "url" }),
    field({ Key: "phone", Type: "phone" }),
    field({ Key: "stage", Type: "enum", Options: ["Applied", "Interview", "Hired"] }),
    field({ Key: "notes", Type: "text" }),
  ],
};

export const profile = (p: Partial<Profile> = {}): Profile => ({
  Id: "prof-1",
  EntityId: candidate.Id,
  Key: "by_email",
  Name: "Match on e-mail",
  ImportMode: ImportMode.Upsert,
  IdentityMode: IdentityMode.Field,
  IdentityFieldKey: "email",
  FieldMap: {},
  SkipUnchanged: true,
  Version: 1,
  ...p,
});

export const byEmail = profile();
export const byInstanceId = profile({ Key: "by_id", IdentityMode: IdentityMode.InstanceId, IdentityFieldKey: null });
export const alwaysCreate = profile({ Key: "create", IdentityMode: IdentityMode.None, IdentityFieldKey: null });

export const instance = (fields: Record<string, unknown>, s: Partial<InstanceState> = {}): InstanceState => ({
  Id: "inst-1",
  EntityId: candidate.Id,
  Fields: fields,
  RowVersion: "rv-1",
  Version: 1,
  CreatedAtUtc: "2026-01-01T00:00:00.000Z",
  UpdatedAtUtc: "2026-01-01T00:00:00.000Z",
  Deleted: false,
  ...s,
});

/** The existing instance most tests match against. */
export const anna = instance({ email: "a@b.at", first_name: "Anna", last_name: "Berg" });

export const prepare = (record: unknown, p: Profile = byEmail, rowIndex = 1, def: EntityDefinition = candidate): PreparedRow =>
  prepareRow(record, rowIndex, p, createFieldResolver(def, p));

export const rec = (Fields: Record<string, unknown>, extra: { InstanceId?: unknown; RowVersion?: unknown } = {}) => ({ ...extra, Fields });

/** Given the current instances and a profile, when the records are planned, then these decisions. */
export function decideAll(records: unknown[], p: Profile, existing: InstanceState[] = [], def: EntityDefinition = candidate): RowDecision[] {
  const resolve = createFieldResolver(def, p);
  const rows = records.map((r, i) => prepareRow(r, i + 1, p, resolve));
  markDuplicateIdentities(rows);
  const index = new Map<string, InstanceState>();
  for (const inst of existing) {
    const key = p.IdentityMode === IdentityMode.Field ? normalizeIdentity(inst.Fields[p.IdentityFieldKey!]) : p.IdentityMode === IdentityMode.InstanceId ? inst.Id : null;
    if (key !== null) index.set(key, inst);
  }
  return rows.map((r) => classifyRow(r, r.identity === null ? null : (index.get(r.identity) ?? null), def, p));
}

export const planRows = (records: unknown[], p: Profile, existing: InstanceState[] = [], def: EntityDefinition = candidate): PlanRow[] =>
  decideAll(records, p, existing, def).map(toPlanRow);

export const codes = (issues: Issue[]) => issues.map((i) => i.Code);
