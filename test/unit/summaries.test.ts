import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { countIssueCategories, summarizeApply, summarizePlan, toPlanRow } from "../../src/import/summaries.js";
import { issue, type IssueCode } from "../../src/domain/issues.js";
import { Action, ApplyRowStatus, Category, PlanRowStatus, Severity } from "../../src/schemas/enums.js";
import type { ApplyRow, PlanRow } from "../../src/schemas/transfer.js";
import type { RowDecision } from "../../src/import/classify.js";
import { anna, byEmail, instance, planRows, profile, rec } from "./_fixtures.js";
import { IdentityMode, ImportMode } from "../../src/schemas/enums.js";

const decision = (d: Partial<RowDecision>): RowDecision => ({
  rowIndex: 1,
  identityValue: "a@b.at",
  matched: null,
  action: Action.Create,
  errors: [],
  warnings: [],
  fields: {},
  createId: null,
  ...d,
});

const applyRow = (a: Partial<ApplyRow>): ApplyRow => ({
  RowIndex: 1,
  IdentityValue: null,
  MatchedInstanceId: null,
  InstanceId: null,
  RowVersion: null,
  ChangedFieldKeys: [],
  Action: Action.Create,
  Status: ApplyRowStatus.Applied,
  Errors: [],
  Warnings: [],
  ...a,
});

describe("toPlanRow", () => {
  it("given no issues, then Ready", () => {
    expect(toPlanRow(decision({ rowIndex: 3, matched: anna, action: Action.Update }))).toEqual({
      RowIndex: 3,
      IdentityValue: "a@b.at",
      MatchedInstanceId: anna.Id,
      Action: Action.Update,
      Status: PlanRowStatus.Ready,
      Errors: [],
      Warnings: [],
    });
  });
  it("given only warnings, then Warning", () => {
    expect(toPlanRow(decision({ warnings: [issue("unknown_field", "w", { rowIndex: 1 })] })).Status).toBe(PlanRowStatus.Warning);
  });
  it("given errors (with or without warnings), then Error", () => {
    const e = issue("missing_identity", "e", { rowIndex: 1 });
    expect(toPlanRow(decision({ errors: [e] })).Status).toBe(PlanRowStatus.Error);
    expect(toPlanRow(decision({ errors: [e], warnings: [issue("unknown_field", "w")] })).Status).toBe(PlanRowStatus.Error);
  });
  it("given no match, then MatchedInstanceId null", () => {
    expect(toPlanRow(decision({})).MatchedInstanceId).toBeNull();
  });
});

describe("summarizePlan (SPEC §4)", () => {
  it("given a mixed file, then every count is the SPEC's", () => {
    // given the instance anna, and a file with: an update, an unchanged row, a create, a create with
    // an unknown field, a row without identity, a required field cleared, two duplicates
    const rows = planRows(
      [
        rec({ email: "a@b.at", first_name: "Anja" }), // 1 Update Ready
        rec({ email: "b@b.at", last_name: "Bee" }), // 2 Create Ready
        rec({ email: "c@b.at", last_name: "Cee", Hobby: "x" }), // 3 Create Warning
        rec({ first_name: "X" }), // 4 Skip Error (missing_identity)
        rec({ email: "d@b.at" }), // 5 Create Error (required_field_missing)
        rec({ email: "e@b.at", last_name: "E" }), // 6 Skip Error (dup)
        rec({ email: "E@b.at", last_name: "E", Hobby: 1 }), // 7 Skip Error (dup) + warning
        rec({ email: "z@b.at", first_name: "Zed" }), // 8 Skip Ready (unchanged)
      ],
      byEmail,
      [anna, instance({ email: "z@b.at", first_name: "Zed", last_name: "Z" }, { Id: "inst-z" })],
    );
    expect(rows.map((r) => [r.RowIndex, r.Action, r.Status])).toEqual([
      [1, Action.Update, PlanRowStatus.Ready],
      [2, Action.Create, PlanRowStatus.Ready],
      [3, Action.Create, PlanRowStatus.Warning],
      [4, Action.Skip, PlanRowStatus.Error],
      [5, Action.Create, PlanRowStatus.Error],
      [6, Action.Skip, PlanRowStatus.Error],
      [7, Action.Skip, PlanRowStatus.Error],
      [8, Action.Skip, PlanRowStatus.Ready],
    ]);
    expect(summarizePlan(rows)).toEqual({ TotalRows: 8, ValidRows: 4, ErrorRows: 4, WarningRows: 1, CreateRows: 3, UpdateRows: 1, SkipRows: 4 });
    // issues, not rows: missing_identity + 2 × duplicate; 1 required_field_missing; 2 unknown_field warnings
    expect(countIssueCategories(rows)).toEqual([
      { Category: Category.Identity, Severity: Severity.Error, Count: 3 },
      { Category: Category.Validation, Severity: Severity.Error, Count: 1 },
      { Category: Category.Mapping, Severity: Severity.Warning, Count: 2 },
    ]);
  });

  it("given no rows, then all zero", () => {
    expect(summarizePlan([])).toEqual({ TotalRows: 0, ValidRows: 0, ErrorRows: 0, WarningRows: 0, CreateRows: 0, UpdateRows: 0, SkipRows: 0 });
    expect(countIssueCategories([])).toEqual([]);
  });

  it("given an export of the current state re-imported, then every row is Skip (a no-op)", () => {
    const existing = [anna, instance({ email: "b@b.at", last_name: "Bee", age: 3 }, { Id: "inst-2", RowVersion: "rv-2" })];
    const records = existing.map((i) => rec(i.Fields, { InstanceId: i.Id, RowVersion: i.RowVersion }));
    for (const p of [byEmail, profile({ IdentityMode: IdentityMode.InstanceId, IdentityFieldKey: null })]) {
      const s = summarizePlan(planRows(records, p, existing));
      expect(s).toMatchObject({ TotalRows: 2, ValidRows: 2, ErrorRows: 0, SkipRows: 2, CreateRows: 0, UpdateRows: 0 });
    }
  });
});

describe("countIssueCategories", () => {
  it("counts issues, not rows, by (Category, Severity), in a stable order", () => {
    const rows = [
      { Errors: [issue("invalid_field_value", "a"), issue("value_too_long", "b"), issue("concurrency_conflict", "c")], Warnings: [issue("unknown_field", "w")] },
      { Errors: [issue("invalid_field_value", "d")], Warnings: [issue("unknown_field", "w"), issue("unknown_field", "w")] },
      { Errors: [issue("invalid_package", "p")], Warnings: [] },
    ];
    expect(countIssueCategories(rows)).toEqual([
      { Category: Category.Package, Severity: Severity.Error, Count: 1 },
      { Category: Category.Validation, Severity: Severity.Error, Count: 3 },
      { Category: Category.Mapping, Severity: Severity.Warning, Count: 3 },
      { Category: Category.Conflict, Severity: Severity.Error, Count: 1 },
    ]);
  });
});

describe("summarizeApply (SPEC §5)", () => {
  it("SelectedRows = AppliedRows + FailedRows; WarningRows counts AppliedWithWarnings; actions are counted", () => {
    const rows = [
      applyRow({ Action: Action.Create, Status: ApplyRowStatus.Applied }),
      applyRow({ Action: Action.Update, Status: ApplyRowStatus.AppliedWithWarnings }),
      applyRow({ Action: Action.Skip, Status: ApplyRowStatus.Applied }),
      applyRow({ Action: Action.Skip, Status: ApplyRowStatus.Failed }),
      applyRow({ Action: Action.Create, Status: ApplyRowStatus.Failed }),
    ];
    expect(summarizeApply(rows)).toEqual({ SelectedRows: 5, AppliedRows: 3, FailedRows: 2, WarningRows: 1, CreateRows: 2, UpdateRows: 1, SkipRows: 2 });
  });
  it("given no rows, then all zero", () => {
    expect(summarizeApply([])).toEqual({ SelectedRows: 0, AppliedRows: 0, FailedRows: 0, WarningRows: 0, CreateRows: 0, UpdateRows: 0, SkipRows: 0 });
  });
});

describe("properties of the plan summary over random files", () => {
  const ROW_ISSUES: IssueCode[] = ["missing_identity", "duplicate_identity_in_file", "instance_not_found", "invalid_field_value", "value_too_long", "required_field_missing"];

  it("given random plan rows, then TotalRows = Valid + Error = Create + Update + Skip, WarningRows = #Warning, IssueCategories sums to #issues", () => {
    const arbRow = fc.record({
      action: fc.constantFrom(Action.Create, Action.Update, Action.Skip),
      errors: fc.array(fc.constantFrom(...ROW_ISSUES), { maxLength: 3 }),
      warnings: fc.nat({ max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(arbRow, { maxLength: 60 }), (spec) => {
        const rows: PlanRow[] = spec.map((s, i) =>
          toPlanRow(
            decision({
              rowIndex: i + 1,
              action: s.action,
              errors: s.errors.map((c) => issue(c, c, { rowIndex: i + 1 })),
              warnings: Array.from({ length: s.warnings }, () => issue("unknown_field", "w", { rowIndex: i + 1 })),
            }),
          ),
        );
        const s = summarizePlan(rows);
        expect(s.TotalRows).toBe(rows.length);
        expect(s.ValidRows + s.ErrorRows).toBe(s.TotalRows);
        expect(s.CreateRows + s.UpdateRows + s.SkipRows).toBe(s.TotalRows);
        expect(s.WarningRows).toBe(rows.filter((r) => r.Status === PlanRowStatus.Warning).length);
        expect(s.ErrorRows).toBe(rows.filter((r) => r.Errors.length > 0).length);
        const cats = countIssueCategories(rows);
        expect(cats.reduce((n, c) => n + c.Count, 0)).toBe(rows.reduce((n, r) => n + r.Errors.length + r.Warnings.length, 0));
        expect(new Set(cats.map((c) => `${c.Category}/${c.Severity}`)).size).toBe(cats.length);
        for (const c of cats) expect(c.Count).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("given random records through the real prepare → classify pipeline, then the invariants hold and errors carry their RowIndex", () => {
    const emails = ["a@b.at", " A@B.AT ", "b@b.at", "c@b.at", "not-an-email", "", null];
    const arbRecord = fc.oneof(
      { weight: 10, arbitrary: fc.record(
        {
          Fields: fc.record(
            {
              email: fc.constantFrom(...emails),
              first_name: fc.constantFrom("Anna", "Anja", "Annabelle", null, ""),
              last_name: fc.constantFrom("Berg", null, ""),
              age: fc.constantFrom(1, "2", "x", null),
              stage: fc.constantFrom("applied", "HIRED", "Fired"),
              Hobby: fc.constant("chess"),
            },
            { requiredKeys: [] },
          ),
          InstanceId: fc.constantFrom(undefined, null, anna.Id, "inst-2", "bad id!"),
          RowVersion: fc.constantFrom(undefined, null, anna.RowVersion, "stale"),
        },
        { requiredKeys: ["Fields"] },
      ) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>(42, null, "x", [], { Fields: 1 }) },
    );
    const arbProfile = fc.record({
      ImportMode: fc.constantFrom(ImportMode.Upsert, ImportMode.CreateOnly, ImportMode.UpdateOnly),
      IdentityMode: fc.constantFrom(IdentityMode.Field, IdentityMode.InstanceId, IdentityMode.None),
      SkipUnchanged: fc.boolean(),
    });
    const existing = [anna, instance({ email: "b@b.at", last_name: "Bee" }, { Id: "inst-2", RowVersion: "rv-2" }), instance({ email: "c@b.at", last_name: "C" }, { Id: "inst-3", Deleted: true })];
    fc.assert(
      fc.property(fc.array(arbRecord, { maxLength: 25 }), arbProfile, (records, p) => {
        const prof = profile({ ...p, IdentityFieldKey: p.IdentityMode === IdentityMode.Field ? "email" : null });
        const rows = planRows(records, prof, existing);
        const s = summarizePlan(rows);
        expect(s.TotalRows).toBe(records.length);
        expect(s.ValidRows + s.ErrorRows).toBe(s.TotalRows);
        expect(s.CreateRows + s.UpdateRows + s.SkipRows).toBe(s.TotalRows);
        expect(s.WarningRows).toBe(rows.filter((r) => r.Status === PlanRowStatus.Warning).length);
        rows.forEach((r, i) => {
          expect(r.RowIndex).toBe(i + 1);
          for (const x of [...r.Errors, ...r.Warnings]) expect(x.RowIndex).toBe(r.RowIndex);
          for (const x of r.Errors) expect(x.Severity).toBe(Severity.Error);
          for (const x of r.Warnings) expect(x.Severity).toBe(Severity.Warning);
          // a row with an identity problem never writes
          if (r.Errors.some((e) => e.Category === Category.Identity || e.Category === Category.Conflict || e.Code === "invalid_package")) expect(r.Action).toBe(Action.Skip);
          if (prof.IdentityMode === IdentityMode.None) expect(r.MatchedInstanceId).toBeNull();
          if (prof.ImportMode === ImportMode.CreateOnly) expect(r.Action).not.toBe(Action.Update);
          if (prof.ImportMode === ImportMode.UpdateOnly) expect(r.Action).not.toBe(Action.Create);
        });
        const cats = countIssueCategories(rows);
        expect(cats.reduce((n, c) => n + c.Count, 0)).toBe(rows.reduce((n, r) => n + r.Errors.length + r.Warnings.length, 0));
      }),
      { numRuns: 300 },
    );
  });
});
