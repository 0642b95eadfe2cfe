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
