import { rowTuples } from "../../events/import-rows-recorded.v2.js";
import type { PendingEvent } from "./commit.js";
import { streams } from "./commit.js";

/** Where every row of a run can be paged through (the response of a big run carries only the first ones). */
export const rowsUrl = (runId: string) => `/api/audit/imports/${encodeURIComponent(runId)}/rows`;

/**
 * The result text a big run's last event stores: the response without its `Rows`, which are
 * already in the run's ImportRowsRecorded events (the first ROWS_IN_RESPONSE of them), so a
 * 100k-row apply does not write ≈ 3.5 MB of rows a second time at its very end. The audit
 * endpoint puts them back (importRunResult). A run whose rows all fit its response stores the
 * response text as it is.
 */
export const storedResult = (result: { Rows: unknown[]; RowsComplete?: false }, json: string): string =>
  result.RowsComplete === false ? JSON.stringify({ ...result, Rows: undefined }) : json;

/** One slice of a run's result rows, as an event of the run's stream. */
export function rowsEvent(runId: string, version: number, rows: ({ RowIndex: number } & object)[]): PendingEvent {
  return {
    streamId: streams.run(runId),
    streamVersion: version,
    event: {
      type: "ImportRowsRecorded",
      data: { RunId: runId, FirstRowIndex: rows[0]!.RowIndex, LastRowIndex: rows[rows.length - 1]!.RowIndex, Count: rows.length, ...rowTuples(rows as unknown as Record<string, unknown>[]) },
    },
  };
}
