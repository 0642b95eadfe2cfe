import { describe, expect, it } from "vitest";
import { createFieldResolver, markDuplicateIdentities, prepareRow } from "../../src/import/prepare.js";
import { alwaysCreate, byEmail, byInstanceId, candidate, codes, field, prepare, profile, rec } from "./_fixtures.js";
import type { EntityDefinition } from "../../src/schemas/definitions.js";

describe("prepareRow", () => {
  describe("given a record that is not an object with a Fields object", () => {
    it.each([[42], [null], ["text"], [[1, 2]], [{}], [{ Fields: null }], [{ Fields: [] }], [{ Fields: "email" }]])("when %j is prepared, then invalid_package on that row", (record) => {
      const row = prepare(record, byEmail, 7);
      expect(row.errors).toHaveLength(1);
      expect(row.errors[0]).toMatchObject({ Type: 0, Code: "invalid_package", Category: 0, Severity: 1, RowIndex: 7 });
      expect(row.identity).toBeNull();
      expect(row.values).toEqual({});
    });
  });

  describe("key resolution", () => {
    it("given package keys in another spelling, when prepared, then they land on the normalized field keys ('First Name' → first_name)", () => {
      const row = prepare(rec({ Email: "a@b.at", "First Name": "Anna", " LAST-NAME ": "Berg" }));
      expect(row.values).toEqual({ email: "a@b.at", first_name: "Anna", last_name: "Berg" });
      expect(row.warnings).toEqual([]);
    });

    it("given a FieldMap, when prepared, then mapped keys go to their target field", () => {
      const p = profile({ FieldMap: { "E-Mail-Adresse": "email", Vorname: "first_name" } });
      const row = prepare(rec({ "E-Mail-Adresse": "a@b.at", Vorname: "Anna" }), p);
      expect(row.values).toEqual({ email: "a@b.at", first_name: "Anna" });
      expect(row.identity).toBe("a@b.at");
    });

    it("given a FieldMap that sends a field key elsewhere, then the map wins", () => {
      const p = profile({ FieldMap: { notes: "last_name" } });
      expect(prepare(rec({ email: "a@b.at", notes: "Berg" }), p).values).toEqual({ email: "a@b.at", last_name: "Berg" });
    });

    it("given an unknown package key, then an unknown_field warning whose FieldKey is the package key, and the value is ignored", () => {
      const row = prepare(rec({ email: "a@b.at", "Favourite Colour": "blue" }), byEmail, 3);
      expect(row.errors).toEqual([]);
      expect(row.values).toEqual({ email: "a@b.at" });
      expect(row.warnings).toEqual([
        expect.objectContaining({ Type: 10, Code: "unknown_field", Category: 3, Severity: 0, FieldKey: "Favourite Colour", RowIndex: 3 }),
      ]);
    });

    it("given a field literally named like an Object.prototype member, then it still resolves", () => {
      const def: EntityDefinition = { ...candidate, Fields: [...candidate.Fields, field({ Key: "constructor", Type: "string" })] };
      const row = prepare(rec({ email: "a@b.at", constructor: "Bob", toString: "x" }), byEmail, 1, def);
      expect(row.values).toEqual({ email: "a@b.at", constructor: "Bob" });
      expect(row.warnings.map((w) => w.FieldKey)).toEqual(["toString"]);
    });

    it("resolves each package key once per file (resolver cache) and gives the same answer", () => {
      const resolve = createFieldResolver(candidate, byEmail);
      expect(resolve("First Name")).toBe(resolve("First Name"));
      expect(resolve("First Name")?.Key).toBe("first_name");
      expect(resolve("nope")).toBeNull();
      expect(resolve("nope")).toBeNull();
    });
  });

  describe("values", () => {
    it("given invalid values, then one issue per field, each with its field key and row", () => {
      const row = prepare(rec({ email: "a@b.at", age: "old", birth_date: "2026-02-30", first_name: "Annabel" }), byEmail, 2);
      expect(row.errors.map((e) => [e.Code, e.FieldKey, e.RowIndex])).toEqual([
        ["invalid_field_value", "age", 2],
        ["invalid_field_value", "birth_date", 2],
        ["value_too_long", "first_name", 2],
      ]);
      expect(row.values).toEqual({ email: "a@b.at" });
    });

    it("given null and empty values, then they are kept as null (a clear), absent keys stay absent", () => {
      expect(prepare(rec({ email: "a@b.at", notes: null, phone: "" })).values).toEqual({ email: "a@b.at", notes: null, phone: null });
    });

    it("given InstanceId or RowVersion that are not strings, then invalid_field_value on that name", () => {
      const row = prepare(rec({ email: "a@b.at" }, { InstanceId: 5, RowVersion: { v: 1 } }), byEmail, 1);
      expect(row.errors.map((e) => [e.Code, e.FieldKey])).toEqual([
        ["invalid_field_value", "InstanceId"],
        ["invalid_field_value", "RowVersion"],
      ]);
      expect(row.instanceId).toBeNull();
      expect(row.rowVersion).toBeNull();
    });

    it("trims InstanceId and RowVersion; blank is none", () => {
      expect(prepare(rec({ email: "a@b.at" }, { InstanceId: " i-1 ", RowVersion: " rv " }))).toMatchObject({ instanceId: "i-1", rowVersion: "rv" });
      expect(prepare(rec({ email: "a@b.at" }, { InstanceId: "  ", RowVersion: "" }))).toMatchObject({ instanceId: null, rowVersion: null });
    });
  });

  describe("identity, IdentityMode Field", () => {
    it("given ' A@B.at ', then the identity is trimmed and case-folded", () => {
      const row = prepare(rec({ email: " A@B.at " }));
      expect(row.identity).toBe("a@b.at");
      expect(row.values.email).toBe("A@B.at");
    });

    it.each([[{}], [{ email: null }], [{ email: "" }]])("given no identity value (%j), then missing_identity (Type 3, Identity, Error) on the identity field", (Fields) => {
      const row = prepare(rec({ ...Fields, first_name: "Anna" }), byEmail, 5);
      expect(row.identity).toBeNull();
      expect(row.errors).toContainEqual(expect.objectContaining({ Type: 3, Code: "missing_identity", Category: 1, Severity: 1, FieldKey: "email", RowIndex: 5 }));
    });

    it("given a blank identity in a text field, then missing_identity (blank is no identity)", () => {
      const p = profile({ IdentityFieldKey: "last_name" });
      const row = prepare(rec({ email: "a@b.at", last_name: "   " }), p, 2);
      expect(row.identity).toBeNull();
      expect(row.errors).toEqual([expect.objectContaining({ Code: "missing_identity", FieldKey: "last_name", RowIndex: 2 })]);
    });

    it("given an identity field named 'constructor' that the record lacks, then missing_identity (not Object.prototype's)", () => {
      const def: EntityDefinition = { ...candidate, Fields: [...candidate.Fields, field({ Key: "constructor", Type: "string" })] };
      const row = prepare(rec({ email: "a@b.at" }), profile({ IdentityFieldKey: "constructor" }), 1, def);
      expect(row.identity).toBeNull();
      expect(codes(row.errors)).toEqual(["missing_identity"]);
    });

    it("given an invalid identity value, then the value error only (no extra missing_identity)", () => {
      const row = prepare(rec({ email: "not-an-address" }));
      expect(codes(row.errors)).toEqual(["invalid_field_value"]);
      expect(row.identity).toBeNull();
    });
  });

  describe("identity, IdentityMode InstanceId", () => {
    it("given an InstanceId, then it is the identity", () => {
      expect(prepare(rec({ email: "a@b.at" }, { InstanceId: "inst-1" }), byInstanceId).identity).toBe("inst-1");
    });
    it.each([[undefined], [null], [""], ["  "]])("given InstanceId %j, then missing_identity on InstanceId", (InstanceId) => {
      const row = prepare(rec({ email: "a@b.at" }, { InstanceId }), byInstanceId, 2);
      expect(row.errors).toEqual([expect.objectContaining({ Code: "missing_identity", FieldKey: "InstanceId", RowIndex: 2 })]);
      expect(row.identity).toBeNull();
    });
    it("given an InstanceId with forbidden characters, then invalid_field_value and no identity", () => {
      const row = prepare(rec({ email: "a@b.at" }, { InstanceId: "a/b c" }), byInstanceId);
      expect(row.errors).toEqual([expect.objectContaining({ Code: "invalid_field_value", FieldKey: "InstanceId" })]);
      expect(row.identity).toBeNull();
    });
  });

  describe("identity, IdentityMode None", () => {
    it("given any record, then no identity and no identity error, even with an InstanceId", () => {
      const row = prepare(rec({ email: "a@b.at" }, { InstanceId: "inst-1" }), alwaysCreate);
      expect(row.identity).toBeNull();
      expect(row.errors).toEqual([]);
    });
  });
});

describe("markDuplicateIdentities", () => {
  const rows = (records: unknown[], p = byEmail) => {
    const resolve = createFieldResolver(candidate, p);
    const out = records.map((r, i) => prepareRow(r, i + 1, p, resolve));
    markDuplicateIdentities(out);
    return out;
  };

  it("given two records with the same identity (after trim and case-fold), then BOTH rows get duplicate_identity_in_file", () => {
    const [a, b, c] = rows([rec({ email: "a@b.at" }), rec({ email: "x@y.at" }), rec({ email: " A@B.AT " })]);
    for (const [r, i] of [[a, 1], [c, 3]] as const)
      expect(r!.errors).toEqual([expect.objectContaining({ Type: 4, Code: "duplicate_identity_in_file", Category: 1, Severity: 1, RowIndex: i })]);
    expect(b!.errors).toEqual([]);
  });

  it("given three records with one identity, then each is flagged exactly once", () => {
    const out = rows([rec({ email: "a@b.at" }), rec({ email: "a@b.at" }), rec({ email: "a@b.at" })]);
    for (const r of out) expect(codes(r.errors)).toEqual(["duplicate_identity_in_file"]);
  });

  it("given rows without identity, then they are never duplicates of each other", () => {
    const out = rows([rec({}), rec({})]);
    for (const r of out) expect(codes(r.errors)).toEqual(["missing_identity"]);
  });

  it("given IdentityMode InstanceId, then the same InstanceId twice is a duplicate", () => {
    const out = rows([rec({ email: "a@b.at" }, { InstanceId: "i-1" }), rec({ email: "c@d.at" }, { InstanceId: " i-1 " })], byInstanceId);
    for (const r of out) expect(codes(r.errors)).toEqual(["duplicate_identity_in_file"]);
  });

  it("given IdentityMode None, then equal records are never duplicates", () => {
    const out = rows([rec({ email: "a@b.at" }), rec({ email: "a@b.at" })], alwaysCreate);
    for (const r of out) expect(r.errors).toEqual([]);
  });
});
