import { describe, expect, it } from "vitest";
import { classifyRow, rowHasErrors } from "../../src/import/classify.js";
import { Action, IdentityMode, ImportMode, PlanRowStatus } from "../../src/schemas/enums.js";
import { toPlanRow } from "../../src/import/summaries.js";
import type { EntityDefinition } from "../../src/schemas/definitions.js";
import { alwaysCreate, anna, byEmail, byInstanceId, candidate, codes, decideAll, field, instance, prepare, profile, rec } from "./_fixtures.js";

/** given `existing`, when the record is classified under `p`, then … */
const decide = (record: unknown, p = byEmail, existing = [anna], def?: EntityDefinition) => decideAll([record], p, existing, def)[0]!;

describe("classifyRow — the import decider", () => {
  describe("Create", () => {
    it("given no instance with that identity, when a complete record comes, then Create with all its non-null values", () => {
      const d = decide(rec({ email: "new@b.at", last_name: "Neu", first_name: "Nina", notes: null }));
      expect(d).toMatchObject({ action: Action.Create, identityValue: "new@b.at", matched: null, errors: [], createId: null });
      expect(d.fields).toEqual({ email: "new@b.at", last_name: "Neu", first_name: "Nina" });
    });

    it.each([
      ["absent", { email: "new@b.at" }],
      ["null", { email: "new@b.at", last_name: null }],
      ["empty", { email: "new@b.at", last_name: "" }],
    ])("given a required field %s, when created, then required_field_missing (Type 7, Validation, Error)", (_, Fields) => {
      const d = decide(rec(Fields), byEmail, [], undefined);
      expect(d.errors).toEqual([expect.objectContaining({ Type: 7, Code: "required_field_missing", Category: 2, Severity: 1, FieldKey: "last_name", RowIndex: 1 })]);
      expect(rowHasErrors(d)).toBe(true);
      expect(toPlanRow(d).Status).toBe(PlanRowStatus.Error);
    });

    it("given a required field with an invalid value, then only the value error, not also required_field_missing", () => {
      const def: EntityDefinition = { ...candidate, Fields: candidate.Fields.map((f) => (f.Key === "age" ? { ...f, Required: true } : f)) };
      const d = decide(rec({ email: "new@b.at", last_name: "Neu", age: "old" }), byEmail, [], def);
      expect(codes(d.errors)).toEqual(["invalid_field_value"]);
    });

    it("given CreateOnly and no match, then Create", () => {
      expect(decide(rec({ email: "new@b.at", last_name: "Neu" }), profile({ ImportMode: ImportMode.CreateOnly })).action).toBe(Action.Create);
    });

    it("given IdentityMode InstanceId and an unknown InstanceId under Upsert, then Create with that id", () => {
      const d = decide(rec({ email: "new@b.at", last_name: "Neu" }, { InstanceId: "inst-9" }), byInstanceId);
      expect(d).toMatchObject({ action: Action.Create, identityValue: "inst-9", createId: "inst-9", errors: [] });
    });

    it("given IdentityMode None, then always Create, even when an instance with the same values exists", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anna", last_name: "Berg" }, { InstanceId: anna.Id, RowVersion: "stale" }), alwaysCreate);
      expect(d).toMatchObject({ action: Action.Create, identityValue: null, matched: null, createId: null, errors: [] });
    });

    it("given a deleted instance with that identity (IdentityMode Field, Upsert), then Create a new one", () => {
      const d = decide(rec({ email: "a@b.at", last_name: "Berg" }), byEmail, [{ ...anna, Deleted: true }]);
      expect(d).toMatchObject({ action: Action.Create, matched: null, errors: [] });
    });
  });

  describe("Update and Skip", () => {
    it("given an unchanged record and SkipUnchanged true, then Skip with nothing to write", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anna", last_name: "Berg" }, { InstanceId: anna.Id, RowVersion: anna.RowVersion }));
      expect(d).toMatchObject({ action: Action.Skip, matched: anna, identityValue: "a@b.at", errors: [], fields: {} });
      expect(toPlanRow(d)).toMatchObject({ Action: Action.Skip, Status: PlanRowStatus.Ready, MatchedInstanceId: anna.Id });
    });

    it("given an unchanged record and SkipUnchanged false, then Update with an empty change set", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anna" }), profile({ SkipUnchanged: false }));
      expect(d).toMatchObject({ action: Action.Update, fields: {}, errors: [] });
    });

    it("given ' A@B.at ' as identity, then it matches the instance stored as 'a@b.at'", () => {
      const d = decide(rec({ email: " a@b.at ", first_name: "Anna" }));
      expect(d).toMatchObject({ action: Action.Skip, matched: anna, identityValue: "a@b.at" });
      const upper = decide(rec({ email: " A@B.AT ", first_name: "Anna" }));
      expect(upper.matched).toBe(anna);
      expect(upper.action).toBe(Action.Update); // matched, and the stored spelling of the e-mail changes
      expect(upper.fields).toEqual({ email: "A@B.AT" });
    });

    it("given changed values, then Update carrying only the changed keys (a merge patch)", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anja", last_name: "Berg", age: "31" }));
      expect(d).toMatchObject({ action: Action.Update, matched: anna, errors: [] });
      expect(d.fields).toEqual({ first_name: "Anja", age: 31 });
    });

    it("given a null for a set optional field, then the patch clears it with null", () => {
      const d = decide(rec({ email: "a@b.at", first_name: null }));
      expect(d).toMatchObject({ action: Action.Update, fields: { first_name: null }, errors: [] });
    });

    it("given a null for an already-absent field, then nothing changes (absent = null)", () => {
      expect(decide(rec({ email: "a@b.at", notes: null, phone: "" }))).toMatchObject({ action: Action.Skip, fields: {} });
    });

    it("given keys the record leaves out, then they stay untouched (not cleared)", () => {
      const d = decide(rec({ email: "a@b.at", age: 5 }));
      expect(d.fields).toEqual({ age: 5 });
    });

    it("given a normalized-equal value (enum case, datetime offset), then it is unchanged", () => {
      const stored = instance({ email: "a@b.at", last_name: "Berg", stage: "Interview", seen_at: "2026-02-04T06:23:58.000Z" });
      const d = decide(rec({ email: "a@b.at", stage: "interview", seen_at: "2026-02-04T07:23:58+01:00" }), byEmail, [stored]);
      expect(d).toMatchObject({ action: Action.Skip, fields: {} });
    });

    it("given UpdateOnly and a match, then Update", () => {
      expect(decide(rec({ email: "a@b.at", age: 5 }), profile({ ImportMode: ImportMode.UpdateOnly })).action).toBe(Action.Update);
    });

    it("given IdentityMode InstanceId and a known InstanceId, then Update of that instance", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anja" }, { InstanceId: anna.Id }), byInstanceId);
      expect(d).toMatchObject({ action: Action.Update, matched: anna, identityValue: anna.Id, fields: { first_name: "Anja" } });
    });

    it("given the current RowVersion, then the row is decided normally", () => {
      expect(decide(rec({ email: "a@b.at", age: 5 }, { RowVersion: anna.RowVersion })).action).toBe(Action.Update);
    });
  });

  describe("required fields on update: may stay empty, may never be cleared", () => {
    const noLastName = instance({ email: "a@b.at", first_name: "Anna" });

    it("given a set required field, when the record clears it, then required_field_missing", () => {
      const d = decide(rec({ email: "a@b.at", last_name: null }));
      expect(d.action).toBe(Action.Update);
      expect(d.errors).toEqual([expect.objectContaining({ Code: "required_field_missing", FieldKey: "last_name", RowIndex: 1 })]);
    });

    it("given a set required field, when the record clears it with '', then required_field_missing", () => {
      expect(codes(decide(rec({ email: "a@b.at", last_name: "" })).errors)).toEqual(["required_field_missing"]);
    });

    it("given an already-empty required field, when the record leaves it empty and changes something else, then Update without error", () => {
      const d = decide(rec({ email: "a@b.at", last_name: null, age: 3 }), byEmail, [noLastName]);
      expect(d).toMatchObject({ action: Action.Update, errors: [], fields: { age: 3 } });
    });

    it("given an already-empty required field, when the record leaves it empty and nothing else, then Skip (SkipUnchanged) or Update without error", () => {
      expect(decide(rec({ email: "a@b.at", last_name: null }), byEmail, [noLastName])).toMatchObject({ action: Action.Skip, errors: [] });
      expect(decide(rec({ email: "a@b.at", last_name: null }), profile({ SkipUnchanged: false }), [noLastName])).toMatchObject({ action: Action.Update, errors: [] });
    });

    it("given a required field the record does not mention, then no error", () => {
      expect(decide(rec({ email: "a@b.at", age: 1 }), byEmail, [noLastName]).errors).toEqual([]);
    });
  });

  describe("identity errors make the row Skip", () => {
    it("given a stale RowVersion, then concurrency_conflict (Type 11, Conflict, Error) and Skip", () => {
      const d = decide(rec({ email: "a@b.at", first_name: "Anja" }, { RowVersion: "rv-0" }));
      expect(d.errors).toEqual([expect.objectContaining({ Type: 11, Code: "concurrency_conflict", Category: 4, Severity: 1, FieldKey: "RowVersion", RowIndex: 1 })]);
      expect(d).toMatchObject({ action: Action.Skip, fields: {}, matched: anna });
    });

    it("given a stale RowVersion on an otherwise unchanged row, then still concurrency_conflict", () => {
      expect(codes(decide(rec({ email: "a@b.at" }, { RowVersion: "rv-0" })).errors)).toEqual(["concurrency_conflict"]);
    });

    it("given CreateOnly and a match, then instance_already_exists (Type 6, Identity, Error) and Skip", () => {
      const d = decide(rec({ email: "a@b.at", last_name: "Berg" }), profile({ ImportMode: ImportMode.CreateOnly }));
      expect(d.errors).toEqual([expect.objectContaining({ Type: 6, Code: "instance_already_exists", Category: 1, Severity: 1, RowIndex: 1 })]);
      expect(d.action).toBe(Action.Skip);
    });

    it("given UpdateOnly and no match, then instance_not_found (Type 5, Identity, Error) and Skip", () => {
      const d = decide(rec({ email: "new@b.at", last_name: "Neu" }), profile({ ImportMode: ImportMode.UpdateOnly }));
      expect(d.errors).toEqual([expect.objectContaining({ Type: 5, Code: "instance_not_found", Category: 1, Severity: 1, RowIndex: 1 })]);
      expect(d).toMatchObject({ action: Action.Skip, matched: null });
    });

    it("given UpdateOnly and a deleted match, then instance_not_found", () => {
      const d = decide(rec({ email: "a@b.at" }), profile({ ImportMode: ImportMode.UpdateOnly }), [{ ...anna, Deleted: true }]);
      expect(codes(d.errors)).toEqual(["instance_not_found"]);
      expect(d.action).toBe(Action.Skip);
    });

    it("given IdentityMode InstanceId and a deleted instance, then instance_not_found (its id cannot be reused)", () => {
      const d = decide(rec({ email: "a@b.at", last_name: "Berg" }, { InstanceId: anna.Id }), byInstanceId, [{ ...anna, Deleted: true }]);
      expect(codes(d.errors)).toEqual(["instance_not_found"]);
      expect(d).toMatchObject({ action: Action.Skip, matched: null });
    });

    it("given no identity value, then missing_identity, Skip, and no required-field noise", () => {
      const d = decide(rec({ first_name: "Anna" }));
      expect(codes(d.errors)).toEqual(["missing_identity"]);
      expect(d).toMatchObject({ action: Action.Skip, identityValue: null, matched: null, fields: {} });
    });

    it("given an unusable identity value, then Skip", () => {
      const d = decide(rec({ email: "nope", last_name: "X" }));
      expect(codes(d.errors)).toEqual(["invalid_field_value"]);
      expect(d.action).toBe(Action.Skip);
    });

    it("given a record that is not an object, then invalid_package and Skip", () => {
      const d = decide("garbage");
      expect(codes(d.errors)).toEqual(["invalid_package"]);
      expect(d.action).toBe(Action.Skip);
    });

    it("given two rows with one identity, then both are duplicate_identity_in_file and Skip, even the one that would match", () => {
      const [a, b] = decideAll([rec({ email: "a@b.at", age: 1 }), rec({ email: "A@b.at", age: 2 })], byEmail, [anna]);
      for (const [d, i] of [[a, 1], [b, 2]] as const) {
        expect(d!.errors).toEqual([expect.objectContaining({ Code: "duplicate_identity_in_file", RowIndex: i })]);
        expect(d!.action).toBe(Action.Skip);
        expect(d!.fields).toEqual({});
      }
    });
  });

  describe("validation errors and warnings", () => {
    it("given a value error on a matched row, then the row keeps its action and has Status Error", () => {
      const d = decide(rec({ email: "a@b.at", age: "x", first_name: "Anja" }));
      expect(d.action).toBe(Action.Update);
      expect(toPlanRow(d).Status).toBe(PlanRowStatus.Error);
    });

    it("given an unknown field, then a warning that passes through, Status Warning, and the row is still decided", () => {
      const d = decide(rec({ email: "a@b.at", Hobby: "chess" }));
      expect(d.action).toBe(Action.Skip);
      expect(d.warnings).toEqual([expect.objectContaining({ Code: "unknown_field", FieldKey: "Hobby", RowIndex: 1 })]);
      expect(toPlanRow(d).Status).toBe(PlanRowStatus.Warning);
      expect(rowHasErrors(d)).toBe(false);
    });

    it("every issue of a decision carries its row index", () => {
      const ds = decideAll(
        [rec({ email: "a@b.at", last_name: null, x: 1 }, { RowVersion: "old" }), rec({ first_name: "toolong" }), 5, rec({ email: "n@b.at" })],
        byEmail,
        [anna],
      );
      ds.forEach((d, i) => {
        expect(d.errors.length + d.warnings.length).toBeGreaterThan(0);
        for (const issue of [...d.errors, ...d.warnings]) expect(issue.RowIndex).toBe(i + 1);
      });
    });
  });

  describe("fields named like Object.prototype members", () => {
    const def: EntityDefinition = { ...candidate, Fields: [...candidate.Fields, field({ Key: "constructor", Type: "string", Required: true })] };

    it("given a required field 'constructor' that a new record lacks, then required_field_missing", () => {
      const d = decide(rec({ email: "new@b.at", last_name: "Neu" }), byEmail, [], def);
      expect(d.errors).toEqual([expect.objectContaining({ Code: "required_field_missing", FieldKey: "constructor" })]);
    });

    it("given 'constructor' is absent on the instance and null in the record, then unchanged and no error", () => {
      const d = decide(rec({ email: "a@b.at", constructor: null }), byEmail, [anna], def);
      expect(d).toMatchObject({ action: Action.Skip, errors: [], fields: {} });
    });
  });

  it("uses the prepared row as given (a pure function of row, instance, definition, profile)", () => {
    const row = prepare(rec({ email: "a@b.at", age: 4 }));
    const a = classifyRow(row, anna, candidate, byEmail);
    const b = classifyRow(row, anna, candidate, byEmail);
    expect(a).toEqual(b);
    expect(row.errors).toEqual([]); // not mutated
    expect(classifyRow(row, null, candidate, profile({ IdentityMode: IdentityMode.Field })).action).toBe(Action.Create);
  });
});
