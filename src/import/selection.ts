import type { Issue } from "../schemas/api.js";
import { issue } from "../domain/issues.js";

export type SelectionResult = { ok: true; rows: number[] } | { ok: false; errors: Issue[] };

const PART = /^(\d+)(?:\s*-\s*(\d+))?$/;
/** Bounds the work a selection can ask for before any row count is known. */
const MAX_SELECTED = 10_000_000;

/**
 * Parses SelectedRowIndexes: repeated fields, comma-separated lists and ranges (`3-7`), one-based.
 * Empty, malformed, duplicated or out-of-range selections are refused as a whole.
 */
export function parseSelection(raw: string | string[] | undefined | null, totalRows: number): SelectionResult {
  const fail = (message: string): SelectionResult => ({ ok: false, errors: [issue("invalid_selection", message, { fieldKey: "SelectedRowIndexes" })] });
  const values = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const parts = values.flatMap((v) => (typeof v === "string" ? v.split(",") : [String(v)])).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0) return fail("SelectedRowIndexes is required: say which rows to apply (e.g. 1,2,5-9).");
  const seen = new Set<number>();
  for (const part of parts) {
    const m = PART.exec(part);
    if (!m) return fail(`'${part.slice(0, 40)}' is not a row number or a range like 3-7.`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from < 1 || to < from) return fail(`'${part}' is not a valid one-based row or range.`);
    if (to > totalRows) return fail(`Row ${to} is out of range: the file has ${totalRows} record${totalRows === 1 ? "" : "s"}.`);
    if (seen.size + (to - from + 1) > MAX_SELECTED) return fail("Too many rows selected.");
    for (let i = from; i <= to; i++) {
      if (seen.has(i)) return fail(`Row ${i} is selected more than once.`);
      seen.add(i);
    }
  }
  return { ok: true, rows: [...seen].sort((a, b) => a - b) };
}
