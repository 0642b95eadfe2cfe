import type { CsvCell } from "../../http/csv.js";
import type { ExportImportResult, RunReport } from "../../schemas/export-import.js";

/** ExportImportResult as (Section, Key, Value) rows (SPEC §7); scalars go to a "Result" section. */
export const RESULT_CSV_HEADER = ["Section", "Key", "Value"] as const;

export function resultCsvRows(r: ExportImportResult): CsvCell[][] {
  const rows: CsvCell[][] = [];
  for (const section of ["CreatedCounts", "UpdatedCounts", "DeletedCounts", "UnchangedCounts"] as const)
    for (const [key, value] of Object.entries(r[section])) rows.push([section, key, value]);
  for (const [key, list] of Object.entries(r.Exceptions)) for (const e of list) rows.push(["Exceptions", key, `${e.ClassName}: ${e.Message}`]);
  rows.push(["Result", "DownloadUrl", r.DownloadUrl], ["Result", "OkCount", r.OkCount], ["Result", "ErrorCount", r.ErrorCount]);
  for (const [key, value] of Object.entries(r.StatsCounter)) rows.push(["StatsCounter", key, value]);
  return rows;
}

export const REPORT_CSV_HEADER = ["Entity", "HokifyId", "InstanceId", "Action", "Message"] as const;

export const reportCsvRows = (report: RunReport): CsvCell[][] => report.Records.map((r) => [r.Entity, r.HokifyId, r.InstanceId, r.Action, r.Message]);
