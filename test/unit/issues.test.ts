import { describe, expect, it } from "vitest";
import { IssueTypes, isError, issue, type IssueCode } from "../../src/domain/issues.js";
import { Category, Severity } from "../../src/schemas/enums.js";
import { IssueSchema } from "../../src/schemas/api.js";

/** SPEC §1, verbatim: Type | Code | Category | Severity. */
const SPEC_TABLE: [number, IssueCode, keyof typeof Category, keyof typeof Severity][] = [
  [0, "invalid_package", "Package", "Error"],
  [1, "unsupported_version", "Package", "Error"],
  [2, "entity_mismatch", "Package", "Error"],
  [3, "missing_identity", "Identity", "Error"],
  [4, "duplicate_identity_in_file", "Identity", "Error"],
  [5, "instance_not_found", "Identity", "Error"],
  [6, "instance_already_exists", "Identity", "Error"],
  [7, "required_field_missing", "Validation", "Error"],
  [8, "invalid_field_value", "Validation", "Error"],
  [9, "value_too_long", "Validation", "Error"],
  [10, "unknown_field", "Mapping", "Warning"],
  [11, "concurrency_conflict", "Conflict", "Error"],
  [12, "invalid_selection", "Package", "Error"],
];

describe("issue catalogue (SPEC §1)", () => {
  it.each(SPEC_TABLE)("type %i is %s, category %s, severity %s", (type, code, category, severity) => {
    // given the catalogue, when an issue of that code is made
    const i = issue(code, "msg");
    // then its numbers are exactly the SPEC's
    expect(i).toMatchObject({ Type: type, Code: code, Category: Category[category], Severity: Severity[severity] });
    expect(IssueTypes[code].type).toBe(type);
  });

  it("severity and category numbers are the SPEC's", () => {
    expect(Severity).toEqual({ Warning: 0, Error: 1 });
    expect(Category).toEqual({ Package: 0, Identity: 1, Validation: 2, Mapping: 3, Conflict: 4 });
  });

  it("type numbers are unique and additions come after the SPEC's (never renumbered)", () => {
    const types = Object.values(IssueTypes).map((t) => t.type);
    expect(new Set(types).size).toBe(types.length);
    const extra = Object.entries(IssueTypes).filter(([code]) => !SPEC_TABLE.some(([, c]) => c === code));
    for (const [, t] of extra) expect(t.type).toBeGreaterThan(12);
  });

  it("codes are snake_case", () => {
    for (const code of Object.keys(IssueTypes)) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it("an issue carries FieldKey and RowIndex, null when not given, and matches the Issue schema", () => {
    expect(issue("unknown_field", "m")).toMatchObject({ FieldKey: null, RowIndex: null, Message: "m" });
    const i = issue("value_too_long", "too long", { fieldKey: "first_name", rowIndex: 3 });
    expect(i).toEqual({ Type: 9, Code: "value_too_long", Severity: 1, Category: 2, Message: "too long", FieldKey: "first_name", RowIndex: 3 });
    expect(IssueSchema.parse(i)).toEqual(i);
  });

  it("isError tells errors from warnings", () => {
    expect(isError(issue("unknown_field", "w"))).toBe(false);
    expect(isError(issue("missing_identity", "e"))).toBe(true);
  });
});
