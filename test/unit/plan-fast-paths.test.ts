/**
 * The plan's allocation-free paths against the straightforward code they replaced: same values,
 * same issues (code, message, field, row), same decisions, on random inputs.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { normalizeIdentity } from "../../src/domain/keys.js";
import { issue } from "../../src/domain/issues.js";
import { classifyRow, planRowOf } from "../../src/import/classify.js";
import { isIssue, normalizeFieldValue, normalizeValue, sameValue, type ValueResult } from "../../src/import/field-values.js";
import { createFieldResolver, prepareRow } from "../../src/import/prepare.js";
import { toPlanRow } from "../../src/import/summaries.js";
import type { StoredField } from "../../src/schemas/definitions.js";
import { IdentityMode, ImportMode } from "../../src/schemas/enums.js";
import { candidate, field, instance, profile } from "./_fixtures.js";

// ---- The reference: normalizeValue, sameValue and normalizeIdentity as they were before the fast paths.

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9(][0-9 ()./-]{2,40}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

function referenceValue(field: StoredField, raw: unknown, rowIndex: number | null): ValueResult {
  if (raw === null || raw === "") return { ok: true, value: null };
  const scalar = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean";
  if (!scalar) return invalid(field, rowIndex, `expects a ${field.Type} value, not ${Array.isArray(raw) ? "an array" : typeof raw}`);
  const text = typeof raw === "string" ? raw : String(raw);
  const trimmed = text.trim();
  switch (field.Type) {
    case "string":
    case "text":
      if (field.MaxLength !== null && [...text].length > field.MaxLength)
        return { ok: false, issue: issue("value_too_long", `Field '${field.Key}' is longer than ${field.MaxLength} characters.`, { fieldKey: field.Key, rowIndex }) };
      return { ok: true, value: text };
    case "integer": {
      const n = typeof raw === "number" ? raw : INTEGER.test(trimmed) ? Number(trimmed) : NaN;
      return Number.isSafeInteger(n) ? { ok: true, value: n } : invalid(field, rowIndex, "expects a whole number");
    }
    case "number": {
      const n = typeof raw === "number" ? raw : DECIMAL.test(trimmed) ? Number(trimmed) : NaN;
      return typeof raw !== "boolean" && Number.isFinite(n) ? { ok: true, value: n } : invalid(field, rowIndex, "expects a number");
    }
    case "boolean": {
      if (typeof raw === "boolean") return { ok: true, value: raw };
      const t = trimmed.toLowerCase();
      if (TRUE.has(t)) return { ok: true, value: true };
      if (FALSE.has(t)) return { ok: true, value: false };
      return invalid(field, rowIndex, "expects true or false");
    }
    case "date":
      if (!DATE.exec(trimmed)) return invalid(field, rowIndex, "expects a date as YYYY-MM-DD");
      return isCalendarDate(trimmed) ? { ok: true, value: trimmed } : invalid(field, rowIndex, "is not a calendar date");
    case "datetime": {
      const d = DATETIME.test(trimmed) && isCalendarDate(trimmed.slice(0, 10)) ? new Date(trimmed) : null;
      return d && !Number.isNaN(d.getTime()) ? { ok: true, value: d.toISOString() } : invalid(field, rowIndex, "expects an ISO 8601 date-time with a zone");
    }
    case "email":
      return typeof raw === "string" && EMAIL.test(trimmed) && trimmed.length <= 320 ? { ok: true, value: trimmed } : invalid(field, rowIndex, "is not an e-mail address");
    case "url": {
      if (typeof raw !== "string" || trimmed.length > 2048) return invalid(field, rowIndex, "is not an http(s) URL");
      try {
        const u = new URL(trimmed);
        return u.protocol === "http:" || u.protocol === "https:" ? { ok: true, value: trimmed } : invalid(field, rowIndex, "is not an http(s) URL");
      } catch {
        return invalid(field, rowIndex, "is not an http(s) URL");
      }
    }
    case "phone":
      return PHONE.test(trimmed) ? { ok: true, value: trimmed } : invalid(field, rowIndex, "is not a phone number");
    case "enum": {
      const options = field.Options ?? [];
      const exact = options.find((o) => o === trimmed) ?? options.find((o) => o.toLowerCase() === trimmed.toLowerCase());
      return exact !== undefined ? { ok: true, value: exact } : invalid(field, rowIndex, `must be one of: ${options.join(", ")}`);
    }
  }
}
function isCalendarDate(ymd: string): boolean {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);
}
const invalid = (field: StoredField, rowIndex: number | null, why: string): ValueResult => ({
  ok: false,
  issue: issue("invalid_field_value", `Field '${field.Key}' ${why}.`, { fieldKey: field.Key, rowIndex }),
});
const referenceSame = (a: unknown, b: unknown) => (a ?? null) === (b ?? null) || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
function referenceIdentity(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = (typeof value === "string" ? value : String(value)).toWellFormed().trim().normalize("NFC").toLowerCase();
  return text.length > 0 ? text : null;
}

// ---- Random inputs that reach every branch, the fast paths' edges most of all.

const digits = (n: number, max: number) => fc.integer({ min: 0, max }).map((v) => String(v).padStart(n, "0"));
/** Date-times near the canonical form: out-of-range parts, other zones, missing millis, spaces. */
const dateTimeText = fc
  .tuple(
    digits(4, 9999),
    digits(2, 13),
    digits(2, 32),
    digits(2, 25),
    digits(2, 61),
    digits(2, 61),
    fc.constantFrom(".000", ".123", ".5", "", ".1234"),
    fc.constantFrom("Z", "Z", "+01:00", "-0530", "z", ""),
    fc.constantFrom("", " ", "\t"),
  )
  .map(([y, mo, d, h, mi, s, ms, zone, pad]) => `${pad}${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${zone}${pad}`);
/** Dates with out-of-range months and days, leap years and centuries (read digit by digit in isCalendarDate). */
const dateText = fc
  .tuple(fc.oneof(digits(4, 9999), fc.constantFrom("1900", "2000", "2024", "2100", "0000")), digits(2, 13), digits(2, 32), fc.constantFrom("", " "))
  .map(([y, mo, d, pad]) => `${pad}${y}-${mo}-${d}${pad}`);
const validDateTime = fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString());
const rawValue = fc.oneof(
  fc.constant(null),
  fc.constant(""),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.constantFrom("Applied", "applied", " INTERVIEW ", "hired", "Hire", "a@b.at", " x@y.com ", "+43 660 1234567", "12", " 7 ", "1e3", "yes", "No", "https://a.at/x"),
  dateTimeText,
  validDateTime,
  dateText,
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 0 }),
);
const fields: StoredField[] = [
  ...candidate.Fields,
  field({ Key: "long", Type: "text", MaxLength: 3 }),
  field({ Key: "dup_case", Type: "enum", Options: ["a", "A", "b"] }),
  field({ Key: "no_options", Type: "enum" }),
];

describe("the plan's fast paths match the reference", () => {
  it("normalizeFieldValue / normalizeValue: the same value or the same issue for every field type", () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), rawValue, fc.option(fc.integer({ min: 1, max: 1e6 })), (f, raw, rowIndex) => {
        const expected = referenceValue(f, raw, rowIndex);
        expect(normalizeValue(f, raw, rowIndex)).toEqual(expected);
        const fast = normalizeFieldValue(f, raw, rowIndex);
        expect(isIssue(fast) ? { ok: false, issue: fast } : { ok: true, value: fast }).toEqual(expected);
      }),
      { numRuns: 20_000 },
    );
  });

  it("a datetime already in toISOString form is kept as it is, other forms are normalized as before", () => {
    const seenAt = fields.find((f) => f.Key === "seen_at")!;
    fc.assert(
      fc.property(fc.oneof(dateTimeText, validDateTime), (t) => {
        expect(normalizeValue(seenAt, t, 1)).toEqual(referenceValue(seenAt, t, 1));
      }),
      { numRuns: 20_000 },
    );
    const birthDate = fields.find((f) => f.Key === "birth_date")!;
    fc.assert(
      fc.property(dateText, (t) => {
        expect(normalizeValue(birthDate, t, 1)).toEqual(referenceValue(birthDate, t, 1));
      }),
      { numRuns: 20_000 },
    );
    for (const t of ["2026-02-29T00:00:00.000Z", "2024-02-29T23:59:59.999Z", "2026-01-01T24:00:00.000Z", "0999-01-01T00:00:00.000Z", "2026-13-01T00:00:00.000Z"])
      expect(normalizeValue(seenAt, t, 1)).toEqual(referenceValue(seenAt, t, 1));
  });

  it("sameValue compares like the stored JSON", () => {
    const v = fc.oneof(fc.constant(null), fc.constant(undefined), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.double(), fc.constantFrom("1", "true", "null", "a", ""), fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }));
    fc.assert(fc.property(v, v, (a, b) => {
          expect(sameValue(a, b)).toBe(referenceSame(a, b));
        }), { numRuns: 20_000 });
  });

  it("normalizeIdentity: the ASCII shortcut trims and case-folds exactly like the full path", () => {
    const v = fc.oneof(fc.string({ maxLength: 10 }), fc.string({ unit: "binary", maxLength: 6 }), fc.constantFrom(" A@B.AT ", "\t x \n", "Ａ", "e\u0301", "\ud800x"), fc.integer(), fc.constant(null));
    fc.assert(fc.property(v, (x) => {
          expect(normalizeIdentity(x)).toBe(referenceIdentity(x));
        }), { numRuns: 20_000 });
  });

  it("planRowOf gives exactly toPlanRow(classifyRow(…)) for random rows, matches and profiles", () => {
    const def = { ...candidate, Fields: candidate.Fields.map((f) => (f.Key === "age" ? { ...f, Required: true } : f)) };
    const small = fc.constantFrom<unknown>(null, "", "a@b.at", "A@B.at", "x@y.com", "Anna", "Annabelle", "Berg", 3, "3", "old", true, "Interview");
    const record = fc.oneof(
      fc.record({ Fields: fc.dictionary(fc.constantFrom("email", "first_name", "last_name", "age", "stage", "Extra"), small), InstanceId: fc.constantFrom(undefined, null, "inst-1", "bad id", 5), RowVersion: fc.constantFrom(undefined, "rv-1", "rv-2", " ") }, { requiredKeys: ["Fields"] }),
      fc.constantFrom<unknown>(null, [], { Fields: [] }),
    );
    const prof = fc.record({
      ImportMode: fc.constantFrom(ImportMode.Upsert, ImportMode.CreateOnly, ImportMode.UpdateOnly),
      IdentityMode: fc.constantFrom(IdentityMode.Field, IdentityMode.InstanceId, IdentityMode.None),
      SkipUnchanged: fc.boolean(),
    });
    const matched = fc.option(
      fc.record({
        Fields: fc.dictionary(fc.constantFrom("email", "first_name", "last_name", "age", "stage"), small),
        Deleted: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(record, prof, matched, fc.boolean(), (rec, p0, m, duplicate) => {
        const p = profile({ ...p0, IdentityFieldKey: p0.IdentityMode === IdentityMode.Field ? "email" : null });
        const resolve = createFieldResolver(def, p);
        const inst = m ? instance(m.Fields, { Deleted: m.Deleted }) : null;
        const mark = (r: ReturnType<typeof prepareRow>) => {
          if (duplicate && r.identity !== null) r.errors.push(issue("duplicate_identity_in_file", `Identity '${r.identity}' appears more than once in the file.`, { rowIndex: r.rowIndex }));
          return r;
        };
        const expected = toPlanRow(classifyRow(mark(prepareRow(rec, 7, p, resolve)), inst, def, p));
        // As JSON: the same properties in the same order, as the response and the log write them.
        expect(JSON.stringify(planRowOf(mark(prepareRow(rec, 7, p, resolve)), inst, def, p))).toBe(JSON.stringify(expected));
      }),
      { numRuns: 20_000 },
    );
  });
});
