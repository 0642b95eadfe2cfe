import { describe, expect, it } from "vitest";
import { checkPackage, parsePackage } from "../../src/import/package.js";
import { FORMAT_VERSION } from "../../src/schemas/transfer.js";
import { candidate } from "./_fixtures.js";

const pkg = (over: Record<string, unknown> = {}) => ({
  FormatVersion: 1,
  ExportedAtUtc: "2026-02-04T06:23:58.000Z",
  Entity: { Id: candidate.Id, Key: "candidate", DisplayNameSingular: "Candidate", DisplayNamePlural: "Candidates" },
  Profile: { Id: "p", Key: "by_email", Name: "Match on e-mail" },
  Records: [{ InstanceId: null, RowVersion: null, Fields: { email: "a@b.at" } }],
  ...over,
});

const failure = (r: ReturnType<typeof checkPackage>) => {
  if (r.ok) throw new Error("expected the package to be refused");
  expect(r.errors).toHaveLength(1);
  return r.errors[0]!;
};

describe("parsePackage / checkPackage (SPEC §3)", () => {
  it("given the SPEC's sample package, when read, then its records come back as they are", () => {
    const r = parsePackage(JSON.stringify(pkg()), candidate);
    expect(r).toEqual({ ok: true, pkg: { formatVersion: 1, records: pkg().Records } });
    expect(FORMAT_VERSION).toBe(1);
  });

  it("reads a package without Entity, Profile or ExportedAtUtc", () => {
    expect(checkPackage({ FormatVersion: 1, Records: [] }, candidate)).toEqual({ ok: true, pkg: { formatVersion: 1, records: [] } });
    expect(checkPackage({ FormatVersion: 1, Entity: null, Records: [] }, candidate).ok).toBe(true);
  });

  it("keeps bad records as they are: a bad record is a row error, not a package error", () => {
    const r = checkPackage(pkg({ Records: [42, null, "x", { Fields: {} }] }), candidate);
    expect(r.ok && r.pkg.records).toEqual([42, null, "x", { Fields: {} }]);
  });

  describe("invalid_package (Type 0, Package, Error)", () => {
    it.each([["not json"], ["{"], [""]])("when the file is not JSON (%j)", (text) => {
      const r = parsePackage(text, candidate);
      expect(failure(r)).toMatchObject({ Type: 0, Code: "invalid_package", Category: 0, Severity: 1, RowIndex: null });
    });
    it.each([[[]], [null], [42], ["text"], [[pkg()]]])("when the document is not an object (%j)", (doc) => {
      expect(failure(checkPackage(doc, candidate)).Code).toBe("invalid_package");
    });
    it("when FormatVersion is missing", () => {
      const { FormatVersion: _, ...rest } = pkg();
      expect(failure(checkPackage(rest, candidate))).toMatchObject({ Code: "invalid_package", FieldKey: "FormatVersion" });
    });
    it.each([[undefined], [null], [{}], ["records"]])("when Records is not an array (%j)", (Records) => {
      expect(failure(checkPackage(pkg({ Records }), candidate))).toMatchObject({ Code: "invalid_package", FieldKey: "Records" });
    });
    it("when Entity is not an object", () => {
      expect(failure(checkPackage(pkg({ Entity: "candidate" }), candidate))).toMatchObject({ Code: "invalid_package", FieldKey: "Entity" });
    });
  });

  describe("unsupported_version (Type 1, Package, Error)", () => {
    it.each([[2], [0], ["1"], [1.5], [null]])("when FormatVersion is %j", (FormatVersion) => {
      expect(failure(checkPackage(pkg({ FormatVersion }), candidate))).toMatchObject({
        Type: 1,
        Code: "unsupported_version",
        Category: 0,
        Severity: 1,
        FieldKey: "FormatVersion",
      });
    });
  });

  describe("entity_mismatch (Type 2, Package, Error)", () => {
    it("when the package holds another entity's records", () => {
      expect(failure(checkPackage(pkg({ Entity: { Id: "def-job", Key: "job" } }), candidate))).toMatchObject({
        Type: 2,
        Code: "entity_mismatch",
        Category: 0,
        Severity: 1,
        FieldKey: "Entity",
      });
    });
    it("when only an Id is given and it is another definition's", () => {
      expect(failure(checkPackage(pkg({ Entity: { Id: "def-job" } }), candidate)).Code).toBe("entity_mismatch");
    });
    it("not when the Key names the same entity in another spelling (' Candidate ')", () => {
      expect(checkPackage(pkg({ Entity: { Key: " Candidate " } }), candidate).ok).toBe(true);
    });
    it("not when the Key matches but the Id differs (a package from another workspace)", () => {
      expect(checkPackage(pkg({ Entity: { Id: "elsewhere", Key: "candidate" } }), candidate).ok).toBe(true);
    });
    it("not when only the matching Id is given", () => {
      expect(checkPackage(pkg({ Entity: { Id: candidate.Id } }), candidate).ok).toBe(true);
    });
  });

  it("checks the version before the records and the entity", () => {
    expect(failure(checkPackage({ FormatVersion: 9, Records: "x", Entity: { Key: "job" } }, candidate)).Code).toBe("unsupported_version");
  });
});
