import { normalizeIdentity } from "../domain/keys.js";

/** An entity with identity fields: per field, the start of its index rows (`entity US field US`) as UTF-8. */
export type ClaimEntity = { fields: Uint8Array[] };

const US = 0x1f;
const RS = 0x1e;
const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();
const text = new TextDecoder();

export const claimEntities = (fieldsByEntity: Iterable<{ entity: string; fields: string[] }>): ClaimEntity[] =>
  [...fieldsByEntity].map(({ entity, fields }) => ({ fields: fields.map((f) => utf8.encode(`${entity}\x1f${f}\x1f`)) }));

/** SQL BLOB (or text) as bytes; null when SQL gave NULL. */
const bytesOf = (value: unknown): Uint8Array | null =>
  value === null || value === undefined ? null : value instanceof ArrayBuffer ? new Uint8Array(value) : value instanceof Uint8Array ? value : utf8.encode(String(value));

/**
 * Whether a page of the identity index (`held`: its rows as rowText writes them, `entity US field
 * US value US instance`, RS between rows) is exactly what the page's instances imply (`values`:
 * per instance of an entity with identity fields `id US n US json…`, n its entity's index in
 * `entities` in decimal, one JSON value per identity field in field order, '' when absent, RS
 * between instances; a row of '' stands for fields that are not valid JSON, never judged).
 *
 * Compared as bytes, as SQL returns both: building the implied rows as JS strings, decoding the
 * held page and comparing the two cost ~60 ms of a 100k replay (strings, flattening, GC). Most
 * identity values (e-mail addresses) are JSON strings that normalizeIdentity returns unchanged,
 * so their bytes are compared in place; any other value is normalized in JS.
 */
export function claimsMatch(values: unknown, held: unknown, entities: readonly ClaimEntity[]): boolean {
  const v = bytesOf(values);
  const h = bytesOf(held) ?? EMPTY;
  let at = 0;
  let claims = 0;
  // Plain loops over locals (no closures): this runs for every byte of both pages.
  for (let start = 0; v !== null; ) {
    let end = v.indexOf(RS, start);
    if (end < 0) end = v.length;
    // id US n US json (US json)…: a row that does not split so implies nothing known.
    const a = v.indexOf(US, start);
    const b = a < 0 || a > end ? -1 : v.indexOf(US, a + 1);
    if (b < 0 || b > end || b === a + 1 || b - a > 8) return false;
    let n = 0;
    for (let i = a + 1; i < b; i++) {
      const d = v[i]! - 0x30;
      if (d < 0 || d > 9) return false;
      n = n * 10 + d;
    }
    const entity = entities[n];
    if (!entity) return false;
    let from = b + 1;
    for (let j = 0; j < entity.fields.length; j++) {
      let to = v.indexOf(US, from);
      if (to < 0 || to > end) to = end;
      // One value per field, the last one ending the row.
      if ((to === end) !== (j === entity.fields.length - 1)) return false;
      if (to > from) {
        let value: Uint8Array | null | undefined = v;
        let vFrom = from + 1;
        let vTo = to - 1;
        if (!plainString(v, from, to)) {
          value = normalized(v.subarray(from, to));
          if (value === undefined) return false;
          vFrom = 0;
          vTo = value === null ? 0 : value.length;
        }
        if (value !== null) {
          // entity US field US value US id, RS before every claim but the first.
          if (claims++ > 0) {
            if (h[at] !== RS) return false;
            at++;
          }
          const head = entity.fields[j]!;
          if (!same(head, 0, head.length, h, at)) return false;
          at += head.length;
          if (!same(value, vFrom, vTo, h, at)) return false;
          at += vTo - vFrom;
          if (h[at++] !== US || !same(v, start, a, h, at)) return false;
          at += a - start;
        }
      }
      from = to + 1;
    }
    if (end === v.length) break;
    start = end + 1;
  }
  return at === h.length;
}

/** Whether x[from, to) equals y from `at` (which must hold that many bytes). */
function same(x: Uint8Array, from: number, to: number, y: Uint8Array, at: number): boolean {
  if (at + (to - from) > y.length) return false;
  for (let i = from; i < to; i++) if (x[i] !== y[at++]) return false;
  return true;
}

/**
 * Whether json[from, to) is a JSON string of printable ASCII without escapes, upper case letters
 * or spaces at either end: normalizeIdentity returns its content unchanged (nothing to trim, NFC
 * and lower case change no such character).
 */
function plainString(json: Uint8Array, from: number, to: number): boolean {
  if (to - from < 3 || json[from] !== 0x22 || json[to - 1] !== 0x22 || json[from + 1] === 0x20 || json[to - 2] === 0x20) return false;
  for (let i = from + 1; i < to - 1; i++) {
    const c = json[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c || (c >= 0x41 && c <= 0x5a)) return false;
  }
  return true;
}

/** normalizeIdentity of a JSON value as UTF-8 (null: no claim; undefined: not JSON). */
function normalized(json: Uint8Array): Uint8Array | null | undefined {
  const value = identityValue(text.decode(json));
  return value === undefined || value === null ? value : utf8.encode(value);
}

/** normalizeIdentity of a JSON value (undefined: not JSON). A string without escapes is its own content. */
export function identityValue(json: string): string | null | undefined {
  if (json.charCodeAt(0) === 34 && !json.includes("\\")) return normalizeIdentity(json.slice(1, -1));
  try {
    return normalizeIdentity(JSON.parse(json));
  } catch {
    return undefined;
  }
}
