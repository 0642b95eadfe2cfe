import type { Field } from "../schemas/definitions.js";
import type { HokifyApplication, HokifyRelation, HokifyUser } from "./schemas.js";

/**
 * Pure mapping of Hokify's wire shape (docs/hokify.md §2) onto the three workspace entities the
 * import writes. Field keys are canonical definition keys, so records need no profile FieldMap.
 */

export const HOKIFY_ENTITY_TYPES = ["Candidate", "Job", "Application"] as const;
export type HokifyEntityType = (typeof HOKIFY_ENTITY_TYPES)[number];

/** The field every Hokify entity is matched on: the Hokify id, compared trimmed and case-folded. */
export const HOKIFY_ID_FIELD = "hokify_id";
export const HOKIFY_PROFILE_KEY = "hokify";

export type HokifyEntitySpec = { key: string; singular: string; plural: string; fields: Field[] };

const field = (Key: string, Label: string, Type: Field["Type"], extra: Partial<Field> = {}): Field => ({ Key, Label, Type, Required: false, MaxLength: null, Options: null, ...extra });

/**
 * Definitions created on first use (or completed, when the workspace already has an entity with
 * that key). Free text from Hokify stays `string`: a phone number or CV link in an unexpected
 * format must not keep the whole record out; only times (validated by the client) and the e-mail
 * address are typed.
 */
export const HOKIFY_ENTITIES: Record<HokifyEntityType, HokifyEntitySpec> = {
  Candidate: {
    key: "candidate",
    singular: "Candidate",
    plural: "Candidates",
    fields: [
      field(HOKIFY_ID_FIELD, "Hokify user id", "string", { Required: true }),
      field("display_name", "Display name", "string"),
      field("first_name", "First name", "string"),
      field("last_name", "Last name", "string"),
      field("email", "E-mail", "email"),
      field("phone", "Phone", "string"),
    ],
  },
  Job: {
    key: "job",
    singular: "Job",
    plural: "Jobs",
    fields: [
      field(HOKIFY_ID_FIELD, "Hokify relation id", "string", { Required: true }),
      field("source_id", "Own reference (Hokify sourceId)", "string"),
      field("relation_type", "Relation type", "enum", { Options: ["job", "company"] }),
      field("job_title", "Job title", "string"),
      field("company_name", "Company", "string"),
    ],
  },
  Application: {
    key: "application",
    singular: "Application",
    plural: "Applications",
    fields: [
      field(HOKIFY_ID_FIELD, "Hokify application id", "string", { Required: true }),
      field("candidate_id", "Candidate (Hokify user id)", "string"),
      field("job_id", "Job (Hokify relation id)", "string"),
      field("contact_stage", "Contact stage", "string"),
      field("source", "Source", "string"),
      field("cv_url", "CV link", "string"),
      field("message", "Message", "text"),
      field("created_at", "Applied at", "datetime"),
      field("updated_at", "Changed at", "datetime"),
      field("scope_id", "Import scope", "integer"),
    ],
  },
};

/**
 * One record for one entity: its Hokify id, its field values (null clears a field), and the
 * updatedAt (epoch ms) of the application it was read from (null for jobs).
 */
export type MappedRecord = { hokifyId: string; fields: Record<string, unknown>; at: number | null };
export type MappedBatch = Record<HokifyEntityType, MappedRecord[]>;

export function candidateRecord(user: HokifyUser, at: number | null): MappedRecord {
  const g = user.general ?? null;
  return {
    hokifyId: user._id,
    at,
    fields: {
      [HOKIFY_ID_FIELD]: user._id,
      display_name: user.displayName ?? null,
      first_name: g?.firstName ?? null,
      last_name: g?.lastName ?? null,
      email: g?.email ?? null,
      phone: g?.phone ?? null,
    },
  };
}

export function jobRecord(relation: HokifyRelation): MappedRecord {
  return {
    hokifyId: relation.relationId,
    at: null,
    fields: {
      [HOKIFY_ID_FIELD]: relation.relationId,
      source_id: relation.sourceId ?? null,
      relation_type: relation.relationType,
      job_title: relation.jobTitle ?? null,
      company_name: relation.companyName ?? null,
    },
  };
}

export function applicationRecord(app: HokifyApplication, relation: HokifyRelation, scopeId: number): MappedRecord {
  return {
    hokifyId: app._id,
    at: Date.parse(app.updatedAt),
    fields: {
      [HOKIFY_ID_FIELD]: app._id,
      candidate_id: app.user._id,
      job_id: relation.relationId,
      contact_stage: app.contactStage ?? null,
      source: app.source ?? null,
      cv_url: app.cvUrl ?? null,
      message: app.message ?? null,
      created_at: app.createdAt,
      updated_at: app.updatedAt,
      scope_id: scopeId,
    },
  };
}

/**
 * Keeps, per Hokify id, the record read from the most recently changed application: each
 * application carries its own snapshot of the user, and the newest one is the truth.
 */
export function keepNewest(into: Map<string, MappedRecord>, record: MappedRecord): void {
  const seen = into.get(record.hokifyId);
  if (!seen || (seen.at ?? -Infinity) <= (record.at ?? -Infinity)) into.set(record.hokifyId, record);
}

/**
 * Maps a page of relations to one record per entity and Hokify id (so an import never sees
 * duplicate_identity_in_file); a candidate who applied more than once is taken from the most
 * recently changed application.
 */
export function mapRelations(relations: readonly HokifyRelation[], scopeId: number): MappedBatch {
  const candidates = new Map<string, MappedRecord>();
  const jobs = new Map<string, MappedRecord>();
  const applications = new Map<string, MappedRecord>();
  for (const relation of relations) {
    jobs.set(relation.relationId, jobRecord(relation));
    for (const app of relation.applications) {
      keepNewest(candidates, candidateRecord(app.user, Date.parse(app.updatedAt)));
      keepNewest(applications, applicationRecord(app, relation, scopeId));
    }
  }
  return { Candidate: [...candidates.values()], Job: [...jobs.values()], Application: [...applications.values()] };
}

/** The largest application updatedAt of a page, as epoch ms; null for an empty page. */
export function maxUpdatedAt(relations: readonly HokifyRelation[]): number | null {
  let max: number | null = null;
  for (const r of relations) for (const a of r.applications) max = Math.max(max ?? -Infinity, Date.parse(a.updatedAt));
  return max;
}
