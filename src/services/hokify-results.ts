import type { InValue } from "@libsql/client";
import { RUN_RESULT_FROM } from "../projections/queries.js";
import type { ExportImportResult } from "../schemas/export-import.js";
import type { Deps } from "./deps.js";

const MAX_EXCEPTIONS_PER_KEY = 100;

/**
 * ExportImportResult counters summed over the Hokify runs of a period (SPEC §8): a projection
 * of the log, read from the runs' stored results. `StatsCounter.Runs` counts the runs summed.
 */
export async function sumHokifyResults(deps: Deps, q: { scopeId?: number; from?: string; to?: string }): Promise<ExportImportResult> {
  const where = ["r.kind = 'hokify'"];
  const args: InValue[] = [];
  if (q.scopeId !== undefined) (where.push("r.scope_id = ?"), args.push(q.scopeId));
  if (q.from) (where.push("r.created_at >= ?"), args.push(q.from));
  if (q.to) (where.push("r.created_at < ?"), args.push(q.to));
  const rows = await deps.store.query({
    sql: `${RUN_RESULT_FROM} WHERE ${where.join(" AND ")} ORDER BY r.created_at, r.id`,
    args,
  });
  const total: ExportImportResult = {
    CreatedCounts: {},
    UpdatedCounts: {},
    DeletedCounts: {},
    UnchangedCounts: {},
    Exceptions: {},
    DownloadUrl: "",
    OkCount: 0,
    ErrorCount: 0,
    StatsCounter: { Runs: 0 },
  };
  for (const row of rows) {
    if (row.result === null) continue;
    const r = JSON.parse(String(row.result)) as ExportImportResult;
    for (const section of ["CreatedCounts", "UpdatedCounts", "DeletedCounts", "UnchangedCounts", "StatsCounter"] as const) addCounts(total[section], r[section]);
    for (const [key, list] of Object.entries(r.Exceptions ?? {})) {
      const into = (total.Exceptions[key] ??= []);
      into.push(...list.slice(0, Math.max(0, MAX_EXCEPTIONS_PER_KEY - into.length)));
    }
    total.OkCount += r.OkCount;
    total.ErrorCount += r.ErrorCount;
    total.StatsCounter.Runs = (total.StatsCounter.Runs ?? 0) + 1;
  }
  return total;
}

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined) {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
}
