import fc from "fast-check";
import { UUID } from "uuidv7";
import { describe, expect, it } from "vitest";
import { idText, newId } from "../../src/support/ids.js";

describe("ids", () => {
  it("formats any 16 bytes exactly as the uuidv7 library does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        expect(idText(bytes)).toBe(UUID.ofInner(bytes).toString());
      }),
      { numRuns: 5000 },
    );
  });

  it("makes canonical UUIDv7 text that sorts in the order the ids were made", () => {
    const ids = Array.from({ length: 20_000 }, newId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });
});
