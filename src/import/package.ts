import type { EntityDefinition } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { FORMAT_VERSION } from "../schemas/transfer.js";
import { issue } from "../domain/issues.js";
import { normalizeKey } from "../domain/keys.js";

export type ParsedPackage = { formatVersion: number; records: unknown[] };
export type PackageResult = { ok: true; pkg: ParsedPackage } | { ok: false; errors: Issue[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A package is 4 levels deep (package → Records → record → Fields); field values are scalars.
 * Deeper input is refused before parsing: JSON.parse copes with any depth, but every recursive
 * walk after it (JSON.stringify in a message, a structured clone) would overflow the stack.
 */
export const MAX_PACKAGE_DEPTH = 64;

/**
 * True when `text` nests `[`/`{` deeper than `max` outside of strings. One pass, no allocation;
 * strings are skipped with indexOf (a few times faster than stepping through them), and it stops
 * at the first level over the limit.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // The closing quote is the next one not escaped by an odd run of backslashes.
      let end = text.indexOf('"', i + 1);
      for (; end !== -1; end = text.indexOf('"', end + 1)) {
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 92 /* \\ */) slashes++;
        if (slashes % 2 === 0) break;
      }
      if (end === -1) return false; // unterminated: JSON.parse reports it
      i = end;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return false;
}

/** A value for an error message: short, and never a walk over untrusted nesting. */
const brief = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.slice(0, 40)) : typeof v === "number" || typeof v === "boolean" || v === null ? String(v) : Array.isArray(v) ? "an array" : typeof v);

/**
 * Reads the uploaded package. Only whole-package faults fail here (→ 400); a bad record is a row
 * error of the plan, so one broken row never hides the others.
 */
export function parsePackage(text: string, entity: EntityDefinition): PackageResult {
  if (nestedDeeperThan(text, MAX_PACKAGE_DEPTH))
    return { ok: false, errors: [issue("invalid_package", `File nests arrays or objects deeper than ${MAX_PACKAGE_DEPTH} levels; a package needs 4.`)] };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const why = e instanceof SyntaxError ? e.message : "unreadable";
    return { ok: false, errors: [issue("invalid_package", `File is not valid JSON (${why}).`)] };
  }
  return checkPackage(doc, entity);
}

export function checkPackage(doc: unknown, entity: EntityDefinition): PackageResult {
  if (!isObject(doc)) return { ok: false, errors: [issue("invalid_package", "File is not a JSON export package: expected an object.")] };
  if (!("FormatVersion" in doc)) return { ok: false, errors: [issue("invalid_package", "File is not a JSON export package: FormatVersion is missing.", { fieldKey: "FormatVersion" })] };
  if (doc.FormatVersion !== FORMAT_VERSION)
    return {
      ok: false,
      errors: [issue("unsupported_version", `FormatVersion ${brief(doc.FormatVersion)} is not supported; this service reads version ${FORMAT_VERSION}.`, { fieldKey: "FormatVersion" })],
    };
  if (!Array.isArray(doc.Records)) return { ok: false, errors: [issue("invalid_package", "File is not a JSON export package: Records must be an array.", { fieldKey: "Records" })] };
  if (doc.Entity !== undefined && doc.Entity !== null) {
    if (!isObject(doc.Entity)) return { ok: false, errors: [issue("invalid_package", "Entity must be an object.", { fieldKey: "Entity" })] };
    const key = typeof doc.Entity.Key === "string" ? normalizeKey(doc.Entity.Key) : null;
    const id = typeof doc.Entity.Id === "string" ? doc.Entity.Id : null;
    if ((key && key !== entity.Key) || (!key && id && id !== entity.Id))
      return {
        ok: false,
        errors: [issue("entity_mismatch", `The package holds '${key ?? id}' records, not '${entity.Key}'.`, { fieldKey: "Entity" })],
      };
  }
  return { ok: true, pkg: { formatVersion: FORMAT_VERSION, records: doc.Records } };
}
