import type { Issue } from "../schemas/api.js";
import type { ApplyRow, ApplySummary, IssueCategoryCount, PlanRow, PlanSummary } from "../schemas/transfer.js";
import { Action, ApplyRowStatus, PlanRowStatus, type CategoryValue, type SeverityValue } from "../schemas/enums.js";
import type { RowDecision } from "./classify.js";

/** A plan row's status: Error with any error, else Warning with any warning, else Ready. */
export const planRowStatus = (errors: Issue[], warnings: Issue[]) => (errors.length > 0 ? PlanRowStatus.Error : warnings.length > 0 ? PlanRowStatus.Warning : PlanRowStatus.Ready);

export function toPlanRow(d: RowDecision): PlanRow {
  const status = planRowStatus(d.errors, d.warnings);
  return {
    RowIndex: d.rowIndex,
    IdentityValue: d.identityValue,
    MatchedInstanceId: d.matched?.Id ?? null,
    Action: d.action,
    Status: status,
    Errors: d.errors,
    Warnings: d.warnings,
  };
}

export function summarizePlan(rows: PlanRow[]): PlanSummary {
  const s: PlanSummary = { TotalRows: rows.length, ValidRows: 0, ErrorRows: 0, WarningRows: 0, CreateRows: 0, UpdateRows: 0, SkipRows: 0 };
  for (const r of rows) {
    if (r.Status === PlanRowStatus.Error) s.ErrorRows++;
    else s.ValidRows++;
    if (r.Status === PlanRowStatus.Warning) s.WarningRows++;
    countAction(s, r.Action);
  }
  return s;
}

export function summarizeApply(rows: ApplyRow[]): ApplySummary {
  const s: ApplySummary = { SelectedRows: rows.length, AppliedRows: 0, FailedRows: 0, WarningRows: 0, CreateRows: 0, UpdateRows: 0, SkipRows: 0 };
  for (const r of rows) {
    if (r.Status === ApplyRowStatus.Failed) s.FailedRows++;
    else s.AppliedRows++;
    if (r.Status === ApplyRowStatus.AppliedWithWarnings) s.WarningRows++;
    countAction(s, r.Action);
  }
  return s;
}

function countAction(s: { CreateRows: number; UpdateRows: number; SkipRows: number }, action: number) {
  if (action === Action.Create) s.CreateRows++;
  else if (action === Action.Update) s.UpdateRows++;
  else s.SkipRows++;
}

/** Counts issues (not rows) by (Category, Severity), fed rows chunk by chunk; `counts()` in a stable order. */
export function createIssueCounter() {
  const counts = new Map<number, number>();
  return {
    add(rows: { Errors: Issue[]; Warnings: Issue[] }[]) {
      for (const r of rows)
        for (const list of [r.Errors, r.Warnings])
          for (const i of list) {
            const k = i.Category * 2 + i.Severity;
            counts.set(k, (counts.get(k) ?? 0) + 1);
          }
    },
    counts: (): IssueCategoryCount[] =>
      [...counts.entries()].sort(([a], [b]) => a - b).map(([k, Count]) => ({ Category: Math.floor(k / 2) as CategoryValue, Severity: (k % 2) as SeverityValue, Count })),
  };
}

/** Counts issues (not rows) by (Category, Severity), in a stable order. */
export function countIssueCategories(rows: { Errors: Issue[]; Warnings: Issue[] }[]): IssueCategoryCount[] {
  const counter = createIssueCounter();
  counter.add(rows);
  return counter.counts();
}
