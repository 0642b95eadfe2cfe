import type { StoredField } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { issue } from "../domain/issues.js";

export type ValueResult = { ok: true; value: unknown } | { ok: false; issue: Issue };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9(][0-9 ()./-]{2,40}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const INTEGER = /^[+-]?\d+$/;
/** Plain decimal notation only: Number() would also read "0x10", "0b11" and "0o7". */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "1", "yes"]);
const FALSE = new Set(["false", "0", "no"]);

/** A normalized value: what a field stores (`null` clears it). */
export type FieldValue = string | number | boolean | null;

/**
 * Turns a raw package value into the stored, normalized value of `field`. `null` (and an empty
 * string) clears the field. Normalizing makes export → import compare equal (Skip).
 */
export function normalizeValue(field: StoredField, raw: unknown, rowIndex: number | null): ValueResult {
  const r = normalizeFieldValue(field, raw, rowIndex);
  return isIssue(r) ? { ok: false, issue: r } : { ok: true, value: r };
}

/** An invalid value's issue, as normalizeFieldValue returns it: normalized values are never objects. */
export const isIssue = (r: FieldValue | Issue): r is Issue => typeof r === "object" && r !== null;

/**
 * normalizeValue without a result object: the value, or the issue when it is invalid. It runs
 * once per value of every row, so nothing is allocated on the happy path (a value already in its
 * normalized form is returned as it is).
 */
export function normalizeFieldValue(field: StoredField, raw: unknown, rowIndex: number | null): FieldValue | Issue {
  if (raw === null || raw === "") return null;
  const scalar = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean";
  if (!scalar) return invalid(field, rowIndex, `expects a ${field.Type} value, not ${Array.isArray(raw) ? "an array" : typeof raw}`);
  const text = typeof raw === "string" ? raw : String(raw);

  switch (field.Type) {
    case "string":
    case "text": {
      // Code units ≥ code points: only a long string needs counting characters.
      if (field.MaxLength !== null && text.length > field.MaxLength && codePoints(text) > field.MaxLength)
        return issue("value_too_long", `Field '${field.Key}' is longer than ${field.MaxLength} characters.`, { fieldKey: field.Key, rowIndex });
      return text;
    }
    case "integer": {
      const n = typeof raw === "number" ? raw : INTEGER.test(text.trim()) ? Number(text.trim()) : NaN;
      return Number.isSafeInteger(n) ? n : invalid(field, rowIndex, "expects a whole number");
    }
    case "number": {
      const n = typeof raw === "number" ? raw : DECIMAL.test(text.trim()) ? Number(text.trim()) : NaN;
      return typeof raw !== "boolean" && Number.isFinite(n) ? n : invalid(field, rowIndex, "expects a number");
    }
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const t = text.trim().toLowerCase();
      if (TRUE.has(t)) return true;
      if (FALSE.has(t)) return false;
      return invalid(field, rowIndex, "expects true or false");
    }
    case "date": {
      const trimmed = text.trim();
      const m = DATE.exec(trimmed);
      if (!m) return invalid(field, rowIndex, "expects a date as YYYY-MM-DD");
      return isCalendarDate(trimmed) ? trimmed : invalid(field, rowIndex, "is not a calendar date");
    }
    case "datetime": {
      const trimmed = text.trim();
      // Already as toISOString writes it (what an export holds): the same text, without a Date.
      if (isCanonicalDateTime(trimmed)) return trimmed;
      // Date() rolls 2026-02-30 over into March; the date part must be a real calendar date.
      const d = DATETIME.test(trimmed) && isCalendarDate(trimmed) ? new Date(trimmed) : null;
      return d && !Number.isNaN(d.getTime()) ? d.toISOString() : invalid(field, rowIndex, "expects an ISO 8601 date-time with a zone");
    }
    case "email": {
      const trimmed = text.trim();
      return typeof raw === "string" && EMAIL.test(trimmed) && trimmed.length <= 320 ? trimmed : invalid(field, rowIndex, "is not an e-mail address");
    }
    case "url": {
      const trimmed = text.trim();
      if (typeof raw !== "string" || trimmed.length > 2048) return invalid(field, rowIndex, "is not an http(s) URL");
      try {
        const u = new URL(trimmed);
        return u.protocol === "http:" || u.protocol === "https:" ? trimmed : invalid(field, rowIndex, "is not an http(s) URL");
      } catch {
        return invalid(field, rowIndex, "is not an http(s) URL");
      }
    }
    case "phone": {
      const trimmed = text.trim();
      return PHONE.test(trimmed) ? trimmed : invalid(field, rowIndex, "is not a phone number");
    }
    case "enum": {
      const trimmed = text.trim();
      const options = field.Options ?? [];
      // Loops, not find() with closures: an exact option first, then one that differs in case only.
      for (let i = 0; i < options.length; i++) if (options[i] === trimmed) return trimmed;
      const lower = trimmed.toLowerCase();
      for (let i = 0; i < options.length; i++) if (options[i]!.toLowerCase() === lower) return options[i]!;
      return invalid(field, rowIndex, `must be one of: ${options.join(", ")}`);
    }
  }
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` with a real date and time of day: exactly what `new Date(t).toISOString()` gives back for it. */
const CANONICAL_DATETIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;
function isCanonicalDateTime(t: string): boolean {
  return t.length === 24 && CANONICAL_DATETIME.test(t) && isCalendarDate(t) && t.charCodeAt(0) !== 48 /* years 0000–0999: leave to Date */;
}

const digit = (t: string, i: number) => t.charCodeAt(i) - 48;

/**
 * `YYYY-MM-DD` names a day that exists (2026-02-30 does not); arithmetic, no Date per value. The
 * callers' patterns have made sure of the digits, so they are read in place: three slices and
 * Number()s per date-time were three strings per row for the young-generation GC.
 */
function isCalendarDate(ymd: string): boolean {
  const y = digit(ymd, 0) * 1000 + digit(ymd, 1) * 100 + digit(ymd, 2) * 10 + digit(ymd, 3);
  const m = digit(ymd, 5) * 10 + digit(ymd, 6);
  const d = digit(ymd, 8) * 10 + digit(ymd, 9);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);
}

function invalid(field: StoredField, rowIndex: number | null, why: string): Issue {
  return issue("invalid_field_value", `Field '${field.Key}' ${why}.`, { fieldKey: field.Key, rowIndex });
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

const plainScalar = (v: unknown) => v === null || v === undefined || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));

/** Values compare as stored JSON; absent and null are the same. */
export function sameValue(a: unknown, b: unknown): boolean {
  if ((a ?? null) === (b ?? null)) return true;
  // Two different plain scalars (what fields store) never write the same JSON: no strings to build.
  if (plainScalar(a) && plainScalar(b)) return false;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
