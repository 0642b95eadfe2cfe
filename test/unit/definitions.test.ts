import { describe, expect, it } from "vitest";
import { decideChangeDefinition, decideCreateDefinition, evolveDefinition, toStoredField } from "../../src/domain/definitions.js";
import { DefinitionBodySchema, DefinitionChangeSchema, FieldSchema, type EntityDefinition, type FieldInput } from "../../src/schemas/definitions.js";
import { DomainEventSchema } from "../../events/catalog.js";
import { codes } from "./_fixtures.js";

const body = (b: { Key?: string; Fields?: FieldInput[]; DisplayNameSingular?: string; DisplayNamePlural?: string } = {}) =>
  DefinitionBodySchema.parse({
    Key: "candidate",
    DisplayNameSingular: "Candidate",
    DisplayNamePlural: "Candidates",
    Fields: [
      { Key: "email", Label: "E-mail", Type: "email", Required: true },
      { Key: "first_name", Label: "First name", Type: "string", MaxLength: 100 },
    ],
    ...b,
  });
const change = (c: { Fields?: FieldInput[]; DisplayNameSingular?: string; DisplayNamePlural?: string; Key?: string }) => DefinitionChangeSchema.parse(c);
const ctx = (taken: string[] = []) => ({ id: "def-1", keyTaken: (k: string) => taken.includes(k) });

/** given the events, the state they fold into */
const fold = (events: Parameters<typeof evolveDefinition>[1][]) => events.reduce<EntityDefinition | null>((s, e) => evolveDefinition(s, e), null)!;

const created = () => {
  const d = decideCreateDefinition(body(), ctx());
  if (!d.ok) throw new Error("fixture");
  return d.events;
};

describe("decideCreateDefinition", () => {
  it("given a valid body, when decided, then one EntityDefinitionCreated with normalized keys and stored fields", () => {
    const d = decideCreateDefinition(body({ Key: " Candidate ", Fields: [{ Key: "First Name", Label: "First name", Type: "string" }] }), ctx());
    expect(d).toEqual({
      ok: true,
      events: [
        {
          type: "EntityDefinitionCreated",
          data: {
            DefinitionId: "def-1",
            Key: "candidate",
            DisplayNameSingular: "Candidate",
            DisplayNamePlural: "Candidates",
            Fields: [{ Key: "first_name", Label: "First name", Type: "string", Required: false, MaxLength: null, Options: null }],
          },
        },
      ],
    });
    if (d.ok) expect(DomainEventSchema.parse(d.events[0])).toEqual(d.events[0]);
  });

  it("keeps MaxLength only on string/text fields and Options only on enum fields, and dedupes Options", () => {
    const d = decideCreateDefinition(
      body({
        Fields: [
          { Key: "age", Label: "Age", Type: "integer", MaxLength: 3, Options: ["x"] },
          { Key: "notes", Label: "Notes", Type: "text", MaxLength: 500 },
          { Key: "stage", Label: "Stage", Type: "enum", Options: ["A", "B", "A"], MaxLength: 2 },
        ],
      }),
      ctx(),
    );
    if (!d.ok) throw new Error("refused");
    expect(d.events[0]!.data.Fields.map((f) => [f.Key, f.MaxLength, f.Options])).toEqual([
      ["age", null, null],
      ["notes", 500, null],
      ["stage", null, ["A", "B"]],
    ]);
  });

  it("given a key with no usable characters, then 400 invalid_field_value on Key", () => {
    const d = decideCreateDefinition(body({ Key: "!!!" }), ctx());
    expect(d).toMatchObject({ ok: false, status: 400 });
    if (!d.ok) expect(d.errors).toEqual([expect.objectContaining({ Code: "invalid_field_value", FieldKey: "Key" })]);
  });

  it("given two fields that normalize to one key ('Email', 'E MAIL' vs 'email'), then 400 naming the duplicate", () => {
    const d = decideCreateDefinition(
      body({ Fields: [{ Key: "email", Label: "a", Type: "email" }, { Key: " Email ", Label: "b", Type: "string" }] }),
      ctx(),
    );
    expect(d).toMatchObject({ ok: false, status: 400 });
    if (!d.ok) expect(d.errors).toEqual([expect.objectContaining({ Code: "key_already_exists", FieldKey: "email" })]);
  });

  it.each([[undefined], [null], [[]]])("given an enum field with Options %j, then 400 required_field_missing on that field", (Options) => {
    const d = decideCreateDefinition(body({ Fields: [{ Key: "Stage", Label: "Stage", Type: "enum", Options }] }), ctx());
    expect(d).toMatchObject({ ok: false, status: 400 });
    if (!d.ok) expect(d.errors).toEqual([expect.objectContaining({ Code: "required_field_missing", FieldKey: "stage" })]);
  });

  it("given a field key with no usable characters, then 400 invalid_field_value on it", () => {
    const d = decideCreateDefinition(body({ Fields: [{ Key: "???", Label: "x", Type: "string" }] }), ctx());
    if (d.ok) throw new Error("accepted");
    expect(codes(d.errors)).toEqual(["invalid_field_value"]);
  });

  it("reports every field problem at once", () => {
    const d = decideCreateDefinition(
      body({ Fields: [{ Key: "a", Label: "a", Type: "string" }, { Key: "A", Label: "a", Type: "string" }, { Key: "e", Label: "e", Type: "enum" }] }),
      ctx(),
    );
    if (d.ok) throw new Error("accepted");
    expect(codes(d.errors).sort()).toEqual(["key_already_exists", "required_field_missing"]);
  });

  it("given the key is taken, then 409 key_already_exists (checked on the normalized key)", () => {
    const d = decideCreateDefinition(body({ Key: "CANDIDATE" }), ctx(["candidate"]));
    expect(d).toMatchObject({ ok: false, status: 409, errors: [expect.objectContaining({ Code: "key_already_exists", FieldKey: "Key" })] });
  });

  it("toStoredField defaults Required to false", () => {
    expect(toStoredField({ ...FieldSchema.parse({ Key: "x", Label: "x", Type: "string" }) }).field?.Required).toBe(false);
  });
});

describe("decideChangeDefinition", () => {
  const current = fold(created());

  it("given nothing changes, when decided, then no event", () => {
    expect(decideChangeDefinition(change({}), current)).toEqual({ ok: true, events: [] });
    expect(
      decideChangeDefinition(change({ DisplayNameSingular: "Candidate", Fields: [{ Key: " Email ", Label: "E-mail", Type: "email", Required: true }] }), current),
    ).toEqual({ ok: true, events: [] });
  });

  it("given a Key in the body, then it is ignored (a definition's key never changes)", () => {
    expect(decideChangeDefinition(change({ Key: "job" }), current)).toEqual({ ok: true, events: [] });
  });

  it("given a new field and a changed field, then one EntityDefinitionChanged with the full new field list and the changed keys sorted", () => {
    const d = decideChangeDefinition(
      change({ Fields: [{ Key: "Phone", Label: "Phone", Type: "phone" }, { Key: "email", Label: "E-mail address", Type: "email", Required: true }] }),
      current,
    );
    if (!d.ok) throw new Error("refused");
    expect(d.events).toHaveLength(1);
    const e = d.events[0]!;
    expect(e.type).toBe("EntityDefinitionChanged");
    expect(e.data.DefinitionId).toBe(current.Id);
    expect(e.data.ChangedFieldKeys).toEqual(["email", "phone"]);
    expect(e.data.Fields.map((f) => f.Key)).toEqual(["email", "first_name", "phone"]); // not named fields stay
    expect(e.data.Fields[0]!.Label).toBe("E-mail address");
    expect(DomainEventSchema.parse(e)).toEqual(e);
  });

  it("given only a new display name, then an event with no changed fields", () => {
    const d = decideChangeDefinition(change({ DisplayNamePlural: "People" }), current);
    if (!d.ok) throw new Error("refused");
    expect(d.events[0]!.data).toMatchObject({ DisplayNameSingular: "Candidate", DisplayNamePlural: "People", ChangedFieldKeys: [] });
  });

  it("given invalid fields, then 400 and no event", () => {
    expect(decideChangeDefinition(change({ Fields: [{ Key: "s", Label: "s", Type: "enum" }] }), current)).toMatchObject({ ok: false, status: 400 });
    expect(
      decideChangeDefinition(change({ Fields: [{ Key: "x", Label: "x", Type: "string" }, { Key: "X", Label: "x", Type: "string" }] }), current),
    ).toMatchObject({ ok: false, status: 400, errors: [expect.objectContaining({ Code: "key_already_exists" })] });
  });
});

describe("evolveDefinition", () => {
  it("given Created, then Version 1 with the event's state", () => {
    expect(fold(created())).toEqual({
      Id: "def-1",
      Key: "candidate",
      DisplayNameSingular: "Candidate",
      DisplayNamePlural: "Candidates",
      Version: 1,
      Fields: [
        { Key: "email", Label: "E-mail", Type: "email", Required: true, MaxLength: null, Options: null },
        { Key: "first_name", Label: "First name", Type: "string", Required: false, MaxLength: 100, Options: null },
      ],
    });
  });

  it("given Created then two changes, then Version 3 and the last state; Id and Key never change", () => {
    const s1 = fold(created());
    const c1 = decideChangeDefinition(change({ Fields: [{ Key: "phone", Label: "Phone", Type: "phone" }] }), s1);
    if (!c1.ok) throw new Error("refused");
    const s2 = evolveDefinition(s1, c1.events[0]!);
    const c2 = decideChangeDefinition(change({ DisplayNameSingular: "Person" }), s2);
    if (!c2.ok) throw new Error("refused");
    const s3 = evolveDefinition(s2, c2.events[0]!);
    expect(s2.Version).toBe(2);
    expect(s3).toMatchObject({ Id: "def-1", Key: "candidate", Version: 3, DisplayNameSingular: "Person" });
    expect(s3.Fields.map((f) => f.Key)).toEqual(["email", "first_name", "phone"]);
    // and deciding the same change again on the new state is a no-op
    expect(decideChangeDefinition(change({ DisplayNameSingular: "Person" }), s3)).toEqual({ ok: true, events: [] });
  });

  it("given a change before any create, then it throws", () => {
    expect(() =>
      evolveDefinition(null, { type: "EntityDefinitionChanged", data: { DefinitionId: "x", DisplayNameSingular: "a", DisplayNamePlural: "b", Fields: [], ChangedFieldKeys: [] } }),
    ).toThrow();
  });
});
