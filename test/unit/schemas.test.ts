import { describe, expect, it } from "vitest";
import {
  Action,
  ActionNames,
  ApplyRowStatus,
  ApplyRowStatusNames,
  CategoryNames,
  FieldTypes,
  IdentityMode,
  IdentityModeNames,
  ImportMode,
  ImportModeNames,
  ImportModeSchema,
  PlanRowStatus,
  PlanRowStatusNames,
  SeverityNames,
} from "../../src/schemas/enums.js";
import { FieldSchema } from "../../src/schemas/definitions.js";
import { PackageSchema, PlanSchema } from "../../src/schemas/transfer.js";
import { countIssueCategories, summarizePlan } from "../../src/import/summaries.js";
import { anna, byEmail, candidate, planRows, rec } from "./_fixtures.js";

describe("enums travel as the SPEC's integers", () => {
  it.each([
    ["ImportMode", ImportMode, ImportModeNames, { Upsert: 0, CreateOnly: 1, UpdateOnly: 2 }],
    ["IdentityMode", IdentityMode, IdentityModeNames, { Field: 0, InstanceId: 1, None: 2 }],
    ["Action", Action, ActionNames, { Create: 0, Update: 1, Skip: 2 }],
    ["PlanRowStatus", PlanRowStatus, PlanRowStatusNames, { Ready: 0, Warning: 1, Error: 2 }],
    ["ApplyRowStatus", ApplyRowStatus, ApplyRowStatusNames, { Applied: 0, AppliedWithWarnings: 1, Failed: 2 }],
  ] as const)("%s", (_, values, names, spec) => {
    expect(values).toEqual(spec);
    // names are listed in value order, for the OpenAPI x-enum-varnames
    expect(names.map((n, i) => [n, i])).toEqual(Object.entries(spec));
  });

  it("Severity and Category names follow their numbers", () => {
    expect(SeverityNames).toEqual(["Warning", "Error"]);
    expect(CategoryNames).toEqual(["Package", "Identity", "Validation", "Mapping", "Conflict"]);
  });

  it("an int enum schema accepts exactly its values", () => {
    for (const v of [0, 1, 2]) expect(ImportModeSchema.safeParse(v).success).toBe(true);
    for (const v of [-1, 3, 1.5, "0", null]) expect(ImportModeSchema.safeParse(v).success).toBe(false);
  });

  it("the field types are the SPEC's", () => {
    expect([...FieldTypes].sort()).toEqual(["boolean", "date", "datetime", "email", "enum", "integer", "number", "phone", "string", "text", "url"]);
    expect(FieldSchema.safeParse({ Key: "x", Label: "x", Type: "money" }).success).toBe(false);
  });
});

describe("PackageSchema (SPEC §3)", () => {
  it("accepts the SPEC's sample package", () => {
    const sample = {
      FormatVersion: 1,
      ExportedAtUtc: "2026-02-04T06:23:58.000Z",
      Entity: { Id: "…", Key: "candidate", DisplayNameSingular: "Candidate", DisplayNamePlural: "Candidates" },
      Profile: { Id: "…", Key: "by_email", Name: "Match on e-mail" },
      Records: [{ InstanceId: null, RowVersion: null, Fields: { email: "a@b.at", first_name: "Anna" } }],
    };
    expect(PackageSchema.parse(sample)).toEqual(sample);
  });
});

describe("a plan built from the pure pipeline satisfies PlanSchema (SPEC §4 names)", () => {
  it("given a small file, then the plan object parses and has exactly the SPEC's property names", () => {
    const rows = planRows([rec({ email: "a@b.at", first_name: "Anja", X: 1 }), rec({ email: "n@b.at" })], byEmail, [anna]);
    const plan = {
      PlanId: "p-1",
      FormatVersion: 1,
      GeneratedAtUtc: "2026-02-04T06:23:58.000Z",
      Entity: { Id: candidate.Id, Key: candidate.Key, DisplayNameSingular: candidate.DisplayNameSingular, DisplayNamePlural: candidate.DisplayNamePlural },
      Profile: { Id: byEmail.Id, Key: byEmail.Key, Name: byEmail.Name, ImportMode: byEmail.ImportMode, IdentityMode: byEmail.IdentityMode },
      Summary: summarizePlan(rows),
      IssueCategories: countIssueCategories(rows),
      Rows: rows,
    };
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(Object.keys(plan.Summary)).toEqual(["TotalRows", "ValidRows", "ErrorRows", "WarningRows", "CreateRows", "UpdateRows", "SkipRows"]);
    expect(Object.keys(rows[0]!)).toEqual(["RowIndex", "IdentityValue", "MatchedInstanceId", "Action", "Status", "Errors", "Warnings"]);
    expect(Object.keys(rows[0]!.Warnings[0]!)).toEqual(["Type", "Code", "Severity", "Category", "Message", "FieldKey", "RowIndex"]);
  });
});
