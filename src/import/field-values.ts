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

/**
 * Turns a raw package value into the stored, normalized value of `field`. `null` (and an empty
 * string) clears the field. Normalizing makes export → import compare equal (Skip).
 */
export function normalizeValue(field: StoredField, raw: unknown, rowIndex: number | null): ValueResult {
  // This runs once per value of every row: nothing is allocated on the happy path.
  if (raw === null || raw === "") return { ok: true, value: null };
  const scalar = typeof raw === "string" || typeof raw === "number" || typeof raw === "boolean";
  if (!scalar) return invalid(field, rowIndex, `expects a ${field.Type} value, not ${Array.isArray(raw) ? "an array" : typeof raw}`);
  const text = typeof raw === "string" ? raw : String(raw);
  const trimmed = text.trim();

  switch (field.Type) {
    case "string":
    case "text": {
      // Code units ≥ code points: only a long string needs counting characters.
      if (field.MaxLength !== null && text.length > field.MaxLength && codePoints(text) > field.MaxLength)
        return { ok: false, issue: issue("value_too_long", `Field '${field.Key}' is longer than ${field.MaxLength} characters.`, { fieldKey: field.Key, rowIndex }) };
      return { ok: true, value: text };
    }
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
    case "date": {
      const m = DATE.exec(trimmed);
      if (!m) return invalid(field, rowIndex, "expects a date as YYYY-MM-DD");
      return isCalendarDate(trimmed) ? { ok: true, value: trimmed } : invalid(field, rowIndex, "is not a calendar date");
    }
    case "datetime": {
      // Date() rolls 2026-02-30 over into March; the date part must be a real calendar date.
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

/** `YYYY-MM-DD` names a day that exists (2026-02-30 does not); arithmetic, no Date per value. */
function isCalendarDate(ymd: string): boolean {
  const y = Number(ymd.slice(0, 4));
  const m = Number(ymd.slice(5, 7));
  const d = Number(ymd.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 ? (leap ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31);
}

function invalid(field: StoredField, rowIndex: number | null, why: string): ValueResult {
  return { ok: false, issue: issue("invalid_field_value", `Field '${field.Key}' ${why}.`, { fieldKey: field.Key, rowIndex }) };
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Values compare as stored JSON; absent and null are the same. */
export function sameValue(a: unknown, b: unknown): boolean {
  if ((a ?? null) === (b ?? null)) return true;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
