import { describe, expect, it } from "vitest";
import { evolveInstance, initialInstance, mergeFields, type InstanceEvent, type InstanceState } from "../../src/domain/instance.js";
import { DomainEventSchema } from "../../events/catalog.js";

const T1 = "2026-02-04T06:00:00.000Z";
const T2 = "2026-02-04T07:00:00.000Z";
const T3 = "2026-02-04T08:00:00.000Z";

const created: InstanceEvent = {
  type: "InstanceCreated",
  data: { InstanceId: "i-1", EntityId: "def-1", Fields: { email: "a@b.at", first_name: "Anna", last_name: "Berg", age: 30 }, RowVersion: "rv-1", RunId: "run-1" },
};
const updated: InstanceEvent = {
  type: "InstanceUpdated",
  data: { InstanceId: "i-1", EntityId: "def-1", Changes: { first_name: "Anja", age: null, phone: "+43 1 234" }, RowVersion: "rv-2", RunId: "run-2" },
};
const deleted: InstanceEvent = {
  type: "InstanceDeleted",
  data: { InstanceId: "i-1", EntityId: "def-1", RowVersion: "rv-3", RunId: null, Reason: "gone from Hokify" },
};

/** given events with their recording times, the state they fold into */
const fold = (events: [InstanceEvent, string][]) => events.reduce<InstanceState | null>((s, [e, at]) => evolveInstance(s, e, at), initialInstance());

describe("evolveInstance", () => {
  it("the events are valid catalogue events", () => {
    for (const e of [created, updated, deleted]) expect(DomainEventSchema.parse(e)).toEqual(e);
  });

  it("starts from nothing", () => {
    expect(initialInstance()).toBeNull();
  });

  it("given InstanceCreated, then Version 1, its fields, RowVersion, and both timestamps from recordedAt", () => {
    expect(fold([[created, T1]])).toEqual({
      Id: "i-1",
      EntityId: "def-1",
      Fields: { email: "a@b.at", first_name: "Anna", last_name: "Berg", age: 30 },
      RowVersion: "rv-1",
      Version: 1,
      CreatedAtUtc: T1,
      UpdatedAtUtc: T1,
      Deleted: false,
    });
  });

  it("given InstanceCreated with null values, then they are not stored", () => {
    const s = evolveInstance(null, { ...created, data: { ...created.data, Fields: { email: "a@b.at", notes: null } } } as InstanceEvent, T1);
    expect(s.Fields).toEqual({ email: "a@b.at" });
  });

  it("given created → updated, then a merge patch (changed kept, null deleted, new added, untouched stay), Version 2, new RowVersion, UpdatedAtUtc moves", () => {
    expect(fold([[created, T1], [updated, T2]])).toEqual({
      Id: "i-1",
      EntityId: "def-1",
      Fields: { email: "a@b.at", first_name: "Anja", last_name: "Berg", phone: "+43 1 234" },
      RowVersion: "rv-2",
      Version: 2,
      CreatedAtUtc: T1,
      UpdatedAtUtc: T2,
      Deleted: false,
    });
  });

  it("given an update with an empty change set, then Version and RowVersion still move", () => {
    const s = fold([[created, T1], [{ ...updated, data: { ...updated.data, Changes: {} } } as InstanceEvent, T2]]);
    expect(s).toMatchObject({ Version: 2, RowVersion: "rv-2", Fields: created.data.Fields });
  });

  it("given created → updated → deleted, then Deleted, Version 3, fields kept for history, UpdatedAtUtc of the delete", () => {
    const s = fold([[created, T1], [updated, T2], [deleted, T3]]);
    expect(s).toMatchObject({ Deleted: true, Version: 3, RowVersion: "rv-3", CreatedAtUtc: T1, UpdatedAtUtc: T3 });
    expect(s!.Fields).toEqual({ email: "a@b.at", first_name: "Anja", last_name: "Berg", phone: "+43 1 234" });
  });

  it("does not mutate the previous state", () => {
    const s1 = fold([[created, T1]])!;
    const snapshot = structuredClone(s1);
    evolveInstance(s1, updated, T2);
    evolveInstance(s1, deleted, T2);
    expect(s1).toEqual(snapshot);
  });

  it("given an update or delete before a create, then it throws", () => {
    expect(() => evolveInstance(null, updated, T1)).toThrow();
    expect(() => evolveInstance(null, deleted, T1)).toThrow();
  });
});

describe("mergeFields (RFC 7396 over flat maps)", () => {
  it("null deletes, values replace or add, the input is not mutated", () => {
    const before = { a: 1, b: "x" };
    expect(mergeFields(before, { a: null, b: "y", c: false })).toEqual({ b: "y", c: false });
    expect(before).toEqual({ a: 1, b: "x" });
  });
  it("deleting an absent key is a no-op; falsy non-null values are kept", () => {
    expect(mergeFields({ a: 1 }, { z: null, b: 0, c: "" })).toEqual({ a: 1, b: 0, c: "" });
  });
});
