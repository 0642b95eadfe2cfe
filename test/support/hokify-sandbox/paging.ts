import { z } from "zod";
import type { SandboxApplication, SandboxRecord, SandboxRelation } from "./data.js";

/** Query and paging rules of getAllApplications, exactly as docs/hokify.md §2 states them. */

export const MAX_LIMIT = 500;

const isoTime = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const digits = (name: string) => z.string().regex(/^\d{1,9}$/, `${name} must be a non-negative integer`).transform(Number);

export const DataQuerySchema = z
  .object({
    startTime: isoTime,
    endTime: isoTime,
    offset: digits("offset").default(0),
    limit: digits("limit")
      .default(100)
      .refine((n) => n >= 1 && n <= MAX_LIMIT, `limit must be in 1…${MAX_LIMIT}`),
  })
  .refine((q) => q.endTime >= q.startTime, { message: "endTime must not be before startTime", path: ["endTime"] });

export type DataQuery = z.infer<typeof DataQuerySchema>;

export type WireRelation = SandboxRelation & { applications: SandboxApplication[] };

/** The stable order offset/limit index into: updatedAt, then _id. */
export function compareRecords(a: SandboxRecord, b: SandboxRecord): number {
  const byTime = Date.parse(a.application.updatedAt) - Date.parse(b.application.updatedAt);
  if (byTime !== 0) return byTime;
  return a.application._id < b.application._id ? -1 : a.application._id > b.application._id ? 1 : 0;
}

export function selectPage(records: readonly SandboxRecord[], q: DataQuery): WireRelation[] {
  const slice = records
    .filter((r) => {
      const t = Date.parse(r.application.updatedAt);
      return t >= q.startTime && t < q.endTime;
    })
    .sort(compareRecords)
    .slice(q.offset, q.offset + q.limit);

  // Map keeps insertion order: relations come in the order of their first application.
  const groups = new Map<string, WireRelation>();
  for (const { relation, application } of slice) {
    const key = `${relation.relationType}:${relation.relationId}`;
    let group = groups.get(key);
    if (!group) {
      group = { ...relation, applications: [] };
      groups.set(key, group);
    }
    group.applications.push(application);
  }
  return [...groups.values()];
}
