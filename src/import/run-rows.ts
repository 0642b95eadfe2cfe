import type { Issue } from "../schemas/api.js";
import type { IssueCategoryCount } from "../schemas/transfer.js";
import type { CategoryValue, SeverityValue } from "../schemas/enums.js";

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
  const issues = new Map<number, number>();
  let summary: S | null = null;
  return {
    /** True when the run has more rows than its response: every row is then kept in the log. */
    truncated: total > ROWS_IN_RESPONSE,
    add(rows: R[]) {
      for (const r of rows) {
        if (head.length < ROWS_IN_RESPONSE) head.push(r);
        for (const list of [r.Errors, r.Warnings])
          for (const i of list) {
            const k = i.Category * 2 + i.Severity;
            issues.set(k, (issues.get(k) ?? 0) + 1);
          }
      }
      const s = summarize(rows);
      if (summary === null) summary = s;
      else for (const k in s) (summary as Record<string, number>)[k]! += s[k]!;
    },
    head: () => head,
    summary: () => summary ?? summarize([]),
    /** Issues (not rows) by (Category, Severity), in a stable order. */
    categories: (): IssueCategoryCount[] =>
      [...issues.entries()].sort(([a], [b]) => a - b).map(([k, Count]) => ({ Category: Math.floor(k / 2) as CategoryValue, Severity: (k % 2) as SeverityValue, Count })),
  };
}
