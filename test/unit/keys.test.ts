import { describe, expect, it } from "vitest";
import { normalizeIdentity, normalizeKey } from "../../src/domain/keys.js";

describe("normalizeKey (SPEC §2: lower case, [a-z0-9_])", () => {
  it.each([
    ["candidate", "candidate"],
    ["Candidate", "candidate"],
    [" candidate ", "candidate"],
    ["First Name", "first_name"],
    ["E-Mail", "e_mail"],
    ["  Last   Name!! ", "last_name"],
    ["_x_", "x"],
    ["Stage2", "stage2"],
    ["!!!", ""],
  ])("%j → %j", (raw, key) => {
    expect(normalizeKey(raw)).toBe(key);
    expect(normalizeKey(key)).toBe(key); // idempotent
  });

  it("only ever yields [a-z0-9_]", () => {
    for (const raw of ["Ünïcode Kéy", "a.b/c", "tab\tkey", "🙂 smile"]) expect(normalizeKey(raw)).toMatch(/^[a-z0-9_]*$/);
  });
});

describe("normalizeIdentity (SPEC §2: trimmed and case-folded)", () => {
  it("' A@B.at ' and 'a@b.at' are the same identity", () => {
    expect(normalizeIdentity(" A@B.at ")).toBe("a@b.at");
    expect(normalizeIdentity(" A@B.at ")).toBe(normalizeIdentity("a@b.at"));
  });

  it("empty, blank, null and undefined have no identity", () => {
    for (const v of ["", "   ", null, undefined]) expect(normalizeIdentity(v)).toBeNull();
  });

  it("numbers become their text", () => {
    expect(normalizeIdentity(42)).toBe("42");
  });

  it("composed and decomposed accents are the same identity (NFC)", () => {
    expect(normalizeIdentity("Jose\u0301")).toBe(normalizeIdentity("JOSÉ"));
  });
});
