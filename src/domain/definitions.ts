import type { z } from "@hono/zod-openapi";
import type { EventOf } from "../../events/catalog.js";
import type { DefinitionBodySchema, DefinitionChangeSchema, EntityDefinition, Field, StoredField } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { issue } from "./issues.js";
import { normalizeKey } from "./keys.js";

type Created = EventOf<"EntityDefinitionCreated">;
type Changed = EventOf<"EntityDefinitionChanged">;
export type Decision<E> = { ok: true; events: E[] } | { ok: false; status: 400 | 404 | 409; errors: Issue[] };

export function toStoredField(f: Field): { field: StoredField | null; errors: Issue[] } {
  const key = normalizeKey(f.Key);
  const at = { fieldKey: f.Key };
  if (!key) return { field: null, errors: [issue("invalid_field_value", `Field key '${f.Key}' has no usable characters ([a-z0-9_]).`, at)] };
  if (f.Type === "enum" && !(f.Options && f.Options.length > 0))
    return { field: null, errors: [issue("required_field_missing", `Enum field '${key}' needs Options.`, { fieldKey: key })] };
  const isText = f.Type === "string" || f.Type === "text";
  return {
    field: {
      Key: key,
      Label: f.Label,
      Type: f.Type,
      Required: f.Required ?? false,
      MaxLength: isText ? (f.MaxLength ?? null) : null,
      Options: f.Type === "enum" ? [...new Set(f.Options ?? [])] : null,
    },
    errors: [],
  };
}

function toStoredFields(fields: Field[]): { fields: StoredField[]; errors: Issue[] } {
  const out: StoredField[] = [];
  const errors: Issue[] = [];
  const seen = new Set<string>();
  for (const f of fields) {
    const r = toStoredField(f);
    errors.push(...r.errors);
    if (!r.field) continue;
    if (seen.has(r.field.Key)) {
      errors.push(issue("key_already_exists", `Field '${r.field.Key}' appears twice.`, { fieldKey: r.field.Key }));
      continue;
    }
    seen.add(r.field.Key);
    out.push(r.field);
  }
  return { fields: out, errors };
}

export function decideCreateDefinition(
  input: z.output<typeof DefinitionBodySchema>,
  ctx: { id: string; keyTaken: (key: string) => boolean },
): Decision<Created> {
  const key = normalizeKey(input.Key);
  if (!key) return { ok: false, status: 400, errors: [issue("invalid_field_value", "Key has no usable characters ([a-z0-9_]).", { fieldKey: "Key" })] };
  const { fields, errors } = toStoredFields(input.Fields);
  if (errors.length) return { ok: false, status: 400, errors };
  if (ctx.keyTaken(key))
    return { ok: false, status: 409, errors: [issue("key_already_exists", `An entity definition with key '${key}' exists.`, { fieldKey: "Key" })] };
  return {
    ok: true,
    events: [
      {
        type: "EntityDefinitionCreated",
        data: { DefinitionId: ctx.id, Key: key, DisplayNameSingular: input.DisplayNameSingular, DisplayNamePlural: input.DisplayNamePlural, Fields: fields },
      },
    ],
  };
}

/** Adds or changes fields by key; fields not named stay. No change → no event. */
export function decideChangeDefinition(input: z.output<typeof DefinitionChangeSchema>, current: EntityDefinition): Decision<Changed> {
  const { fields: incoming, errors } = toStoredFields(input.Fields);
  if (errors.length) return { ok: false, status: 400, errors };
  const byKey = new Map(current.Fields.map((f) => [f.Key, f] as const));
  const changed: string[] = [];
  for (const f of incoming) {
    const before = byKey.get(f.Key);
    if (!before || JSON.stringify(before) !== JSON.stringify(f)) changed.push(f.Key);
    byKey.set(f.Key, f);
  }
  const singular = input.DisplayNameSingular ?? current.DisplayNameSingular;
  const plural = input.DisplayNamePlural ?? current.DisplayNamePlural;
  if (changed.length === 0 && singular === current.DisplayNameSingular && plural === current.DisplayNamePlural) return { ok: true, events: [] };
  return {
    ok: true,
    events: [
      {
        type: "EntityDefinitionChanged",
        data: { DefinitionId: current.Id, DisplayNameSingular: singular, DisplayNamePlural: plural, Fields: [...byKey.values()], ChangedFieldKeys: changed.sort() },
      },
    ],
  };
}

export function evolveDefinition(state: EntityDefinition | null, event: Created | Changed): EntityDefinition {
  if (event.type === "EntityDefinitionCreated") {
    const d = event.data;
    return { Id: d.DefinitionId, Key: d.Key, DisplayNameSingular: d.DisplayNameSingular, DisplayNamePlural: d.DisplayNamePlural, Fields: d.Fields, Version: 1 };
  }
  if (!state) throw new Error("EntityDefinitionChanged before EntityDefinitionCreated");
  const d = event.data;
  return { ...state, DisplayNameSingular: d.DisplayNameSingular, DisplayNamePlural: d.DisplayNamePlural, Fields: d.Fields, Version: state.Version + 1 };
}
