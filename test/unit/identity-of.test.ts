import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createFieldResolver, identityOf, prepareRow } from "../../src/import/prepare.js";
import type { Profile } from "../../src/schemas/definitions.js";
import { alwaysCreate, byEmail, byInstanceId, candidate, profile, rec } from "./_fixtures.js";

/**
 * An apply's first pass reads only each record's identity (identityOf); the second pass prepares
 * the whole record. Duplicates and the lookups sent ahead are judged by the first, rows are decided
 * by the second: they must agree on every record, valid or not.
 */
const identityField = (key: string) => profile({ Key: `by_${key}`, IdentityFieldKey: key });
const profiles: Profile[] = [
  byEmail,
  byInstanceId,
  alwaysCreate,
  // Several package keys land on the identity field: the last valid value wins, a later null clears it.
  profile({ Key: "mapped", FieldMap: { "E-Mail": "email", Mail: "email", email: "notes" } }),
  identityField("phone"),
  identityField("age"),
  identityField("stage"),
];

const values = fc.oneof(
  fc.constantFrom("a@b.at", " A@B.AT ", "ANNA@Example.org", "not an e-mail", "", "  ", "+43 660 1234567", "12", "12.5", "Interview", "interview", "2026-02-30"),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 100 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
);
const keys = fc.constantFrom("email", "Email", " E-MAIL ", "E-Mail", "Mail", "phone", "Phone", "age", "stage", "notes", "first_name", "unknown key", "constructor", "__proto__");
const fields = fc.array(fc.tuple(keys, values), { maxLength: 8 }).map((entries) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
});
const instanceIds = fc.oneof(fc.constantFrom("inst-1", " inst-2 ", "", "   ", "has space", "x".repeat(129), "ok:._-9"), fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null), fc.constant(undefined));
const records = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fields, instanceIds).map(([f, id]) => (id === undefined ? rec(f) : rec(f, { InstanceId: id }))) },
  { weight: 1, arbitrary: fc.constantFrom(null, 42, "text", [1, 2], {}, { Fields: null }, { Fields: [] }) },
);

describe("identityOf", () => {
  it("gives the identity prepareRow gives, for any record and identity mode", () => {
    fc.assert(
      fc.property(records, fc.constantFrom(...profiles), (record, p) => {
        const resolve = createFieldResolver(candidate, p);
        expect(identityOf(record, p, resolve)).toBe(prepareRow(record, 1, p, resolve).identity);
      }),
      { numRuns: 3000 },
    );
  });

  it("given the identity field under several keys, then the last valid value counts and a later null clears it", () => {
    const p = profiles[3]!;
    const resolve = createFieldResolver(candidate, p);
    const cases: [Record<string, unknown>, string | null][] = [
      [{ "E-Mail": "first@b.at", Mail: "second@b.at" }, "second@b.at"],
      [{ "E-Mail": "first@b.at", Mail: "not an e-mail" }, "first@b.at"],
      [{ "E-Mail": "first@b.at", Mail: null }, null],
      [{ email: "goes@to.notes" }, null],
    ];
    for (const [f, expected] of cases) {
      expect(identityOf(rec(f), p, resolve)).toBe(expected);
      expect(prepareRow(rec(f), 1, p, resolve).identity).toBe(expected);
    }
  });
});
