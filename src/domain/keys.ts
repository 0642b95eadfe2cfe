/** `Candidate`, `candidate` and ` candidate ` all name `candidate`; `First Name` becomes `first_name`. */
export function normalizeKey(raw: string): string {
  return raw
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Identity values compare after trimming and case-folding (SPEC §2). */
export function normalizeIdentity(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // Printable ASCII is well formed and NFC already: only trimming and case-folding apply.
  if (typeof value === "string" && PRINTABLE_ASCII.test(value)) {
    const text = value.trim().toLowerCase();
    return text.length > 0 ? text : null;
  }
  // toWellFormed: a lone surrogate must compare the same in the index, in lookups and here.
  const text = (typeof value === "string" ? value : String(value)).toWellFormed().trim().normalize("NFC").toLowerCase();
  return text.length > 0 ? text : null;
}
