import { describe, expect, it } from "vitest";
import { normalizeValue, sameValue } from "../../src/import/field-values.js";
import { field } from "./_fixtures.js";
import type { StoredField } from "../../src/schemas/definitions.js";

const ok = (f: StoredField, raw: unknown) => {
  const r = normalizeValue(f, raw, 4);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted, got ${r.issue.Message}`);
  return r.value;
};
const rejected = (f: StoredField, raw: unknown) => {
  const r = normalizeValue(f, raw, 4);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(r.value)}`);
  return r.issue;
};

const integer = field({ Key: "age", Type: "integer" });
const number = field({ Key: "score", Type: "number" });
const boolean = field({ Key: "active", Type: "boolean" });
const date = field({ Key: "birth_date", Type: "date" });
const datetime = field({ Key: "seen_at", Type: "datetime" });
const email = field({ Key: "email", Type: "email" });
const url = field({ Key: "website", Type: "url" });
const phone = field({ Key: "phone", Type: "phone" });
const stage = field({ Key: "stage", Type: "enum", Options: ["Applied", "Interview", "Hired"] });
const name = field({ Key: "first_name", Type: "string", MaxLength: 5 });
const notes = field({ Key: "notes", Type: "text", MaxLength: 3 });
const free = field({ Key: "free", Type: "string" });

describe("normalizeValue", () => {
  describe("given any field type, when the value is null or the empty string", () => {
    it.each([integer, number, boolean, date, datetime, email, url, phone, stage, name, notes])("then $Type clears (null)", (f) => {
      expect(ok(f, null)).toBeNull();
      expect(ok(f, "")).toBeNull();
    });
  });

  describe("given a non-scalar value", () => {
    it.each([[{ a: 1 }], [[1, 2]]])("when %j is imported, then invalid_field_value", (raw) => {
      expect(rejected(name, raw).Code).toBe("invalid_field_value");
    });
  });

  describe("invalid_field_value carries the field, the row and the SPEC numbers", () => {
    it("Type 8, Validation, Error, FieldKey = field key, RowIndex = row", () => {
      expect(rejected(integer, "x")).toMatchObject({ Type: 8, Code: "invalid_field_value", Category: 2, Severity: 1, FieldKey: "age", RowIndex: 4 });
    });
  });

  describe("integer", () => {
    it.each([
      [42, 42],
      ["42", 42],
      [" -7 ", -7],
      ["+3", 3],
      ["0", 0],
    ])("accepts %j as %j", (raw, v) => expect(ok(integer, raw)).toBe(v));
    it.each([["4.5"], [4.5], ["abc"], ["1e3"], [true], ["9007199254740993"], ["0x10"], [" "]])("refuses %j", (raw) => {
      expect(rejected(integer, raw).Code).toBe("invalid_field_value");
    });
  });

  describe("number", () => {
    it.each([
      [1.5, 1.5],
      ["1.5", 1.5],
      [" -2.25 ", -2.25],
      ["1e3", 1000],
      ["3", 3],
      [".5", 0.5],
    ])("accepts %j as %j", (raw, v) => expect(ok(number, raw)).toBe(v));
    it.each([["abc"], ["Infinity"], ["NaN"], [true], [" "], ["1,5"], ["0x10"], ["0b11"], ["1_000"]])("refuses %j", (raw) => {
      expect(rejected(number, raw).Code).toBe("invalid_field_value");
    });
  });

  describe("boolean", () => {
    it.each([
      [true, true],
      [false, false],
      ["true", true],
      ["TRUE", true],
      [" yes ", true],
      ["1", true],
      [1, true],
      ["false", false],
      ["No", false],
      ["0", false],
      [0, false],
    ])("accepts %j as %j", (raw, v) => expect(ok(boolean, raw)).toBe(v));
    it.each([["maybe"], [2], ["t"]])("refuses %j", (raw) => expect(rejected(boolean, raw).Code).toBe("invalid_field_value"));
  });

  describe("date (YYYY-MM-DD calendar dates)", () => {
    it.each([["2026-02-04"], [" 2024-02-29 "], ["2026-12-31"]])("accepts %j", (raw) => expect(ok(date, raw)).toBe(raw.trim()));
    it.each([["2026-02-30"], ["2025-02-29"], ["2026-04-31"], ["2026-13-01"], ["2026-00-10"], ["2026-2-4"], ["04.02.2026"], ["2026-02-04T00:00:00Z"], [20260204]])(
      "refuses %j",
      (raw) => expect(rejected(date, raw).Code).toBe("invalid_field_value"),
    );
  });

  describe("datetime (ISO 8601 with a zone, normalized to toISOString)", () => {
    it.each([
      ["2026-02-04T06:23:58.000Z", "2026-02-04T06:23:58.000Z"],
      ["2026-02-04T06:23:58Z", "2026-02-04T06:23:58.000Z"],
      ["2026-02-04T07:23:58+01:00", "2026-02-04T06:23:58.000Z"],
      ["2026-02-04T07:23:58+0100", "2026-02-04T06:23:58.000Z"],
      ["2026-02-04T01:23-05:00", "2026-02-04T06:23:00.000Z"],
      [" 2026-02-04T06:23:58.5Z ", "2026-02-04T06:23:58.500Z"],
      ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
    ])("accepts %j as %j", (raw, v) => expect(ok(datetime, raw)).toBe(v));
    it.each([
      ["2026-02-04T06:23:58"], // no zone: ambiguous
      ["2026-02-04"],
      ["yesterday"],
      ["2026-13-04T06:23:58Z"],
      ["2026-02-04T23:60:00Z"],
      // not calendar dates: must not roll over into March
      ["2026-02-30T10:00:00Z"],
      ["2025-02-29T10:00:00+01:00"],
      ["2026-04-31T00:00:00Z"],
      [1738650238000],
    ])("refuses %j", (raw) => expect(rejected(datetime, raw).Code).toBe("invalid_field_value"));
  });

  describe("email", () => {
    it("accepts and trims an address", () => expect(ok(email, " a@b.at ")).toBe("a@b.at"));
    it.each([["a@b"], ["no-at.at"], ["a b@c.at"], ["@b.at"], [42], [`${"x".repeat(320)}@b.at`]])("refuses %j", (raw) =>
      expect(rejected(email, raw).Code).toBe("invalid_field_value"),
    );
  });

  describe("url", () => {
    it.each([["https://example.com/jobs?id=1"], ["http://localhost:8787"]])("accepts %j", (raw) => expect(ok(url, raw)).toBe(raw));
    it.each([["example.com"], ["ftp://example.com"], ["javascript:alert(1)"], ["https://"], [42], [`https://e.com/${"a".repeat(2048)}`]])("refuses %j", (raw) =>
      expect(rejected(url, raw).Code).toBe("invalid_field_value"),
    );
  });

  describe("phone", () => {
    it.each([["+43 660 1234567"], ["(01) 234-5678"], ["0660/1234567"]])("accepts %j", (raw) => expect(ok(phone, raw)).toBe(raw));
    it.each([["call me"], ["+"], ["12"], ["+43 660 abc"]])("refuses %j", (raw) => expect(rejected(phone, raw).Code).toBe("invalid_field_value"));
  });

  describe("enum (case-insensitive, stored as the canonical option)", () => {
    it.each([
      ["Applied", "Applied"],
      ["applied", "Applied"],
      [" INTERVIEW ", "Interview"],
    ])("accepts %j as %j", (raw, v) => expect(ok(stage, raw)).toBe(v));
    it("prefers the exact option when options differ only by case", () => {
      const f = field({ Key: "k", Type: "enum", Options: ["a", "A"] });
      expect(ok(f, "A")).toBe("A");
      expect(ok(f, "a")).toBe("a");
    });
    it("refuses a value that is not an option and names the options", () => {
      const i = rejected(stage, "Rejected");
      expect(i.Code).toBe("invalid_field_value");
      expect(i.Message).toContain("Applied, Interview, Hired");
    });
  });

  describe("string/text and MaxLength (value_too_long)", () => {
    it("accepts a value of exactly MaxLength characters", () => expect(ok(name, "Anna!")).toBe("Anna!"));
    it("refuses one character more with value_too_long, Type 9 / Validation / Error", () => {
      expect(rejected(name, "Annabel")).toMatchObject({ Type: 9, Code: "value_too_long", Category: 2, Severity: 1, FieldKey: "first_name", RowIndex: 4 });
    });
    it("counts characters, not UTF-16 code units: emoji count once", () => {
      expect(ok(name, "😀😀😀😀😀")).toBe("😀😀😀😀😀"); // 10 code units, 5 characters
      expect(rejected(name, "😀😀😀😀😀😀").Code).toBe("value_too_long");
      expect(ok(notes, "äöü")).toBe("äöü");
    });
    it("applies to text fields too", () => expect(rejected(notes, "abcd").Code).toBe("value_too_long"));
    it("without MaxLength any length is fine", () => expect(ok(free, "x".repeat(10_000))).toHaveLength(10_000));
    it("turns numbers and booleans into text", () => {
      expect(ok(free, 42)).toBe("42");
      expect(ok(free, true)).toBe("true");
    });
  });
});

describe("sameValue", () => {
  it("absent and null are the same", () => {
    expect(sameValue(undefined, null)).toBe(true);
    expect(sameValue(null, undefined)).toBe(true);
  });
  it("equal scalars are the same; different types are not", () => {
    expect(sameValue("a", "a")).toBe(true);
    expect(sameValue(1, 1)).toBe(true);
    expect(sameValue(1, "1")).toBe(false);
    expect(sameValue(true, "true")).toBe(false);
    expect(sameValue("a", null)).toBe(false);
  });
});
