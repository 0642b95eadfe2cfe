import type { DotNetException, ExportImportResult, RunReportRecord } from "../schemas/export-import.js";
import type { HokifyError } from "./errors.js";
import { HOKIFY_ENTITY_TYPES, type HokifyEntityType } from "./mapping.js";

/** Pure bookkeeping of one Hokify run: record outcomes, errors, and the ExportImportResult built from them. */

/** COR_E_EXCEPTION, the HResult of a plain System.Exception: older clients expect a number here. */
const HRESULT_EXCEPTION = -2146233088;
const SOURCE = "ImportService.Hokify";
/** Failed records listed per Exceptions key; the run report has all of them. */
export const MAX_EXCEPTIONS_PER_KEY = 100;

export function dotNetException(className: string, message: string, data: DotNetException["Data"]): DotNetException {
  return {
    ClassName: className,
    Message: message,
    Data: data,
    InnerException: null,
    HelpURL: null,
    // Never a stack trace (SPEC §7): it would leak internals.
    StackTraceString: null,
    RemoteStackTraceString: null,
    RemoteStackIndex: 0,
    ExceptionMethod: null,
    HResult: HRESULT_EXCEPTION,
    Source: SOURCE,
    WatsonBuckets: null,
  };
}

/** HokifyError messages are built to be safe (no tokens, no bodies), so they are passed on as they are. */
export const fromHokifyError = (e: HokifyError) => dotNetException("HokifyError", e.message, { Kind: e.kind, Status: e.status ?? null, Attempts: e.attempts });

export type RunTally = ReturnType<typeof createTally>;

export function createTally() {
  const records: RunReportRecord[] = [];
  const exceptions: Record<string, DotNetException[]> = {};
  let runErrors = 0;
  return {
    records,
    add(record: RunReportRecord) {
      records.push(record);
      if (record.Action !== "Failed") return;
      const list = (exceptions[record.Entity] ??= []);
      if (list.length < MAX_EXCEPTIONS_PER_KEY)
        list.push(dotNetException("ImportRecordException", `${record.Entity} ${record.HokifyId}: ${record.Message ?? "failed"}`, { HokifyId: record.HokifyId, InstanceId: record.InstanceId }));
    },
    /** An error that stopped (part of) the run rather than one record. */
    addRunError(key: string, exception: DotNetException) {
      (exceptions[key] ??= []).push(exception);
      runErrors++;
    },
    result(stats: Record<string, number>, downloadUrl: string): ExportImportResult {
      const counts = (action: RunReportRecord["Action"]) => {
        const out = Object.fromEntries(HOKIFY_ENTITY_TYPES.map((t) => [t, 0])) as Record<HokifyEntityType, number>;
        for (const r of records) if (r.Action === action) out[r.Entity]++;
        return out;
      };
      const failed = records.filter((r) => r.Action === "Failed").length;
      return {
        CreatedCounts: counts("Created"),
        UpdatedCounts: counts("Updated"),
        DeletedCounts: counts("Deleted"),
        UnchangedCounts: counts("Unchanged"),
        Exceptions: exceptions,
        DownloadUrl: downloadUrl,
        OkCount: records.length - failed,
        ErrorCount: failed + runErrors,
        StatsCounter: stats,
      };
    },
  };
}

/** Flat numbers for the import_runs summary column (what the audit list shows). */
export function summaryOf(result: ExportImportResult): Record<string, number> {
  const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
  return {
    Created: sum(result.CreatedCounts),
    Updated: sum(result.UpdatedCounts),
    Deleted: sum(result.DeletedCounts),
    Unchanged: sum(result.UnchangedCounts),
    OkCount: result.OkCount,
    ErrorCount: result.ErrorCount,
    ...result.StatsCounter,
  };
}
