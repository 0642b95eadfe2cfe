import { describe, expect, it } from "vitest";
import { DomainEventSchema, currentSchemaVersion, eventCatalog, type EventType } from "../../events/catalog.js";
import { UnknownEventError, upcast } from "../../events/upcast.js";

describe("event catalogue", () => {
  it("every type has its current version among its versions", () => {
    for (const [type, entry] of Object.entries(eventCatalog)) {
      expect(Object.keys(entry.versions).map(Number), type).toContain(entry.current);
      expect(currentSchemaVersion(type as EventType)).toBe(entry.current);
    }
  });

  it("the domain event union knows every catalogue type", () => {
    const inUnion = DomainEventSchema.options.map((o) => o.shape.type.value).sort();
    expect(inUnion).toEqual(Object.keys(eventCatalog).sort());
  });

  it("refuses data that does not fit the type's schema", () => {
    expect(DomainEventSchema.safeParse({ type: "InstanceCreated", data: { InstanceId: "i" } }).success).toBe(false);
    expect(DomainEventSchema.safeParse({ type: "Nope", data: {} }).success).toBe(false);
  });
});

describe("upcast", () => {
  const data = { InstanceId: "i-1", EntityId: "d", RowVersion: "rv", RunId: null, Reason: null };

  it("given data of the current version, then it is returned as that type", () => {
    expect(upcast("InstanceDeleted", 1, data)).toEqual({ type: "InstanceDeleted", data });
  });

  it("given an unknown type, then UnknownEventError", () => {
    expect(() => upcast("InstanceExploded", 1, data)).toThrow(UnknownEventError);
  });

  it("given an older version with no upcaster, then UnknownEventError", () => {
    expect(() => upcast("InstanceDeleted", 0, data)).toThrow(UnknownEventError);
  });

  it("does not treat Object.prototype names as event types", () => {
    expect(() => upcast("toString", 1, data)).toThrow(UnknownEventError);
  });
});

describe("ImportRowsRecorded v1 → v2", () => {
  it("turns row objects into tuples of their members, and rowObjects gives the same objects back", async () => {
    const { rowObjects, ImportRowsRecordedV2 } = await import("../../events/import-rows-recorded.v2.js");
    const rows = [
      { RowIndex: 1, IdentityValue: "a@b.at", MatchedInstanceId: null, Action: 0, Status: 0, Errors: [], Warnings: [] },
      { RowIndex: 2, IdentityValue: null, MatchedInstanceId: "i-1", Action: 2, Status: 2, Errors: [{ Code: "x", FieldKey: null }], Warnings: [] },
    ];
    const v1 = { RunId: "r", FirstRowIndex: 1, LastRowIndex: 2, Count: 2, Rows: rows };
    const up = upcast("ImportRowsRecorded", 1, v1);
    expect(up.data).toEqual({ RunId: "r", FirstRowIndex: 1, LastRowIndex: 2, Count: 2, Columns: Object.keys(rows[0]!), Rows: rows.map((r) => Object.values(r)) });
    expect(ImportRowsRecordedV2.safeParse(up.data).success).toBe(true);
    const back = rowObjects(up.data as never);
    expect(JSON.stringify(back)).toBe(JSON.stringify(rows));
  });
});
