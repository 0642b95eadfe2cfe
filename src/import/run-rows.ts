import type { Issue } from "../schemas/api.js";
import { createIssueCounter } from "./summaries.js";

/**
 * How many result rows a plan or apply response carries. A bigger run answers with the first
 * ROWS_IN_RESPONSE rows, `RowsComplete: false` and a `RowsUrl` that pages through all of them;
 * runs up to this size answer exactly as before (every row, no extra properties).
 */
export const ROWS_IN_RESPONSE = 10_000;

type ResultRow = { RowIndex: number; Errors: Issue[]; Warnings: Issue[] };

/** Collects a run's rows chunk by chunk: the response's head, issue counts and summary, never all rows. */
export function createRunRows<R extends ResultRow, S extends Record<string, number>>(total: number, summarize: (rows: R[]) => S) {
  const head: R[] = [];
  const issues = createIssueCounter();
  let summary: S | null = null;
  return {
    /** True when the run has more rows than its response: every row is then kept in the log. */
    truncated: total > ROWS_IN_RESPONSE,
    add(rows: R[]) {
      for (const r of rows) if (head.length < ROWS_IN_RESPONSE) head.push(r);
      issues.add(rows);
      const s = summarize(rows);
      if (summary === null) summary = s;
      else for (const k in s) (summary as Record<string, number>)[k]! += s[k]!;
    },
    head: () => head,
    summary: () => summary ?? summarize([]),
    categories: issues.counts,
  };
}
