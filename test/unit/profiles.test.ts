import { describe, expect, it } from "vitest";
import { decideCreateProfile, evolveProfile } from "../../src/domain/profiles.js";
import { ProfileBodySchema, ProfileSchema } from "../../src/schemas/definitions.js";
import { IdentityMode, ImportMode } from "../../src/schemas/enums.js";
import { DomainEventSchema } from "../../events/catalog.js";
import { candidate, codes } from "./_fixtures.js";

type BodyIn = Partial<{ Key: string; Name: string; ImportMode: number; IdentityMode: number; IdentityFieldKey: string | null; FieldMap: Record<string, string> | null; SkipUnchanged: boolean }>;
const body = (b: BodyIn = {}) => ProfileBodySchema.parse({ Key: "by_email", Name: "Match on e-mail", IdentityFieldKey: "email", ...b });
const ctx = (taken: string[] = []) => ({ id: "prof-1", definition: candidate, keyTaken: (k: string) => taken.includes(k) });
const refused = (b: BodyIn, taken: string[] = []) => {
  const d = decideCreateProfile(body(b), ctx(taken));
  if (d.ok) throw new Error("accepted");
  return d;
};

describe("ProfileBodySchema defaults", () => {
  it("ImportMode Upsert, IdentityMode Field, SkipUnchanged true", () => {
    expect(ProfileBodySchema.parse({ Key: "k", Name: "n" })).toMatchObject({ ImportMode: 0, IdentityMode: 0, SkipUnchanged: true });
  });
});

describe("decideCreateProfile", () => {
  it("given a valid body, then one ImportProfileCreated with normalized keys and defaults", () => {
    const d = decideCreateProfile(body({ Key: " By Email ", IdentityFieldKey: " Email ", FieldMap: { "E-Mail": "Email", Vorname: "First Name" } }), ctx());
    expect(d).toEqual({
      ok: true,
      events: [
        {
          type: "ImportProfileCreated",
          data: {
            ProfileId: "prof-1",
            EntityId: candidate.Id,
            Key: "by_email",
            Name: "Match on e-mail",
            ImportMode: ImportMode.Upsert,
            IdentityMode: IdentityMode.Field,
            IdentityFieldKey: "email",
            FieldMap: { "E-Mail": "email", Vorname: "first_name" }, // package keys kept verbatim, targets normalized
            SkipUnchanged: true,
          },
        },
      ],
    });
    if (d.ok) expect(DomainEventSchema.parse(d.events[0])).toEqual(d.events[0]);
  });

  it.each([[undefined], [null], [""], ["!!"]])("given IdentityMode Field without a usable IdentityFieldKey (%j), then 400 required_field_missing", (IdentityFieldKey) => {
    const d = refused({ IdentityFieldKey });
    expect(d.status).toBe(400);
    expect(d.errors).toEqual([expect.objectContaining({ Code: "required_field_missing", FieldKey: "IdentityFieldKey" })]);
  });

  it("given IdentityMode Field with an IdentityFieldKey that is not a field, then 400 invalid_field_value", () => {
    expect(refused({ IdentityFieldKey: "username" }).errors).toEqual([expect.objectContaining({ Code: "invalid_field_value", FieldKey: "IdentityFieldKey" })]);
  });

  it("given IdentityMode InstanceId or None, then IdentityFieldKey is not needed and not kept", () => {
    for (const IdentityMode_ of [IdentityMode.InstanceId, IdentityMode.None]) {
      const d = decideCreateProfile(body({ IdentityMode: IdentityMode_, IdentityFieldKey: "nonsense" }), ctx());
      if (!d.ok) throw new Error("refused");
      expect(d.events[0]!.data.IdentityFieldKey).toBeNull();
    }
  });

  it("given UpdateOnly with IdentityMode None, then 400 (it could never match anything)", () => {
    expect(refused({ ImportMode: ImportMode.UpdateOnly, IdentityMode: IdentityMode.None }).errors).toEqual([
      expect.objectContaining({ Code: "invalid_field_value", FieldKey: "ImportMode" }),
    ]);
  });

  it("given CreateOnly or Upsert with IdentityMode None, then accepted", () => {
    for (const m of [ImportMode.Upsert, ImportMode.CreateOnly]) expect(decideCreateProfile(body({ ImportMode: m, IdentityMode: IdentityMode.None }), ctx()).ok).toBe(true);
  });

  it("given FieldMap targets that are not fields, then 400 naming each bad entry", () => {
    const d = refused({ FieldMap: { "E-Mail": "email", Nick: "nickname", Age: "years" } });
    expect(d.errors.map((e) => [e.Code, e.FieldKey])).toEqual([
      ["invalid_field_value", "FieldMap.Nick"],
      ["invalid_field_value", "FieldMap.Age"],
    ]);
  });

  it("given a key with no usable characters, then 400 on Key", () => {
    expect(refused({ Key: "***" }).errors).toEqual([expect.objectContaining({ Code: "invalid_field_value", FieldKey: "Key" })]);
  });

  it("reports all problems at once", () => {
    expect(codes(refused({ Key: "***", IdentityFieldKey: "nope", FieldMap: { a: "b" } }).errors)).toEqual(["invalid_field_value", "invalid_field_value", "invalid_field_value"]);
  });

  it("given the key is taken, then 409 key_already_exists", () => {
    const d = refused({ Key: "By_Email" }, ["by_email"]);
    expect(d.status).toBe(409);
    expect(d.errors).toEqual([expect.objectContaining({ Code: "key_already_exists", FieldKey: "Key" })]);
  });

  it("keeps SkipUnchanged false when asked", () => {
    const d = decideCreateProfile(body({ SkipUnchanged: false }), ctx());
    expect(d.ok && d.events[0]!.data.SkipUnchanged).toBe(false);
  });
});

describe("evolveProfile", () => {
  const createdEvent = () => {
    const d = decideCreateProfile(body({ FieldMap: { "E-Mail": "email" } }), ctx());
    if (!d.ok) throw new Error("refused");
    return d.events[0]!;
  };

  it("given Created, then the profile at Version 1, valid per the Profile schema", () => {
    const p = evolveProfile(null, createdEvent());
    expect(p).toEqual({
      Id: "prof-1",
      EntityId: candidate.Id,
      Key: "by_email",
      Name: "Match on e-mail",
      ImportMode: 0,
      IdentityMode: 0,
      IdentityFieldKey: "email",
      FieldMap: { "E-Mail": "email" },
      SkipUnchanged: true,
      Version: 1,
    });
    expect(ProfileSchema.parse(p)).toEqual(p);
  });

  it("given Created then Changed, then the new state at Version 2", () => {
    const created = createdEvent();
    const p1 = evolveProfile(null, created);
    const p2 = evolveProfile(p1, { type: "ImportProfileChanged", data: { ...created.data, Name: "By mail", SkipUnchanged: false } });
    expect(p2).toMatchObject({ Id: p1.Id, Key: p1.Key, Name: "By mail", SkipUnchanged: false, Version: 2 });
  });
});
