import type { EntityDefinition } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { FORMAT_VERSION } from "../schemas/transfer.js";
import { issue } from "../domain/issues.js";
import { normalizeKey } from "../domain/keys.js";

export type ParsedPackage = { formatVersion: number; records: unknown[] };
export type PackageResult = { ok: true; pkg: ParsedPackage } | { ok: false; errors: Issue[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Reads the uploaded package. Only whole-package faults fail here (→ 400); a bad record is a row
 * error of the plan, so one broken row never hides the others.
 */
export function parsePackage(text: string, entity: EntityDefinition): PackageResult {
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
      errors: [issue("unsupported_version", `FormatVersion ${JSON.stringify(doc.FormatVersion)} is not supported; this service reads version ${FORMAT_VERSION}.`, { fieldKey: "FormatVersion" })],
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
