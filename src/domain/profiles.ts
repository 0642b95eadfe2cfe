import type { z } from "@hono/zod-openapi";
import type { EventOf } from "../../events/catalog.js";
import type { EntityDefinition, Profile, ProfileBodySchema } from "../schemas/definitions.js";
import type { Issue } from "../schemas/api.js";
import { IdentityMode, ImportMode } from "../schemas/enums.js";
import type { Decision } from "./definitions.js";
import { issue } from "./issues.js";
import { normalizeKey } from "./keys.js";

type Created = EventOf<"ImportProfileCreated">;
type Changed = EventOf<"ImportProfileChanged">;

export function decideCreateProfile(
  input: z.output<typeof ProfileBodySchema>,
  ctx: { id: string; definition: EntityDefinition; keyTaken: (key: string) => boolean },
): Decision<Created> {
  const key = normalizeKey(input.Key);
  const errors: Issue[] = [];
  if (!key) errors.push(issue("invalid_field_value", "Key has no usable characters ([a-z0-9_]).", { fieldKey: "Key" }));
  const fieldKeys = new Set(ctx.definition.Fields.map((f) => f.Key));

  let identityFieldKey: string | null = null;
  if (input.IdentityMode === IdentityMode.Field) {
    identityFieldKey = input.IdentityFieldKey ? normalizeKey(input.IdentityFieldKey) : null;
    if (!identityFieldKey) errors.push(issue("required_field_missing", "IdentityMode Field needs IdentityFieldKey.", { fieldKey: "IdentityFieldKey" }));
    else if (!fieldKeys.has(identityFieldKey))
      errors.push(issue("invalid_field_value", `IdentityFieldKey '${identityFieldKey}' is not a field of '${ctx.definition.Key}'.`, { fieldKey: "IdentityFieldKey" }));
  }
  if (input.IdentityMode === IdentityMode.None && input.ImportMode === ImportMode.UpdateOnly)
    errors.push(issue("invalid_field_value", "ImportMode UpdateOnly cannot match anything with IdentityMode None.", { fieldKey: "ImportMode" }));

  const fieldMap: Record<string, string> = {};
  for (const [from, to] of Object.entries(input.FieldMap ?? {})) {
    const target = normalizeKey(to);
    if (!fieldKeys.has(target)) errors.push(issue("invalid_field_value", `FieldMap target '${to}' is not a field of '${ctx.definition.Key}'.`, { fieldKey: `FieldMap.${from}` }));
    else fieldMap[from] = target;
  }
  if (errors.length) return { ok: false, status: 400, errors };
  if (ctx.keyTaken(key))
    return { ok: false, status: 409, errors: [issue("key_already_exists", `A profile with key '${key}' exists for '${ctx.definition.Key}'.`, { fieldKey: "Key" })] };
  return {
    ok: true,
    events: [
      {
        type: "ImportProfileCreated",
        data: {
          ProfileId: ctx.id,
          EntityId: ctx.definition.Id,
          Key: key,
          Name: input.Name,
          ImportMode: input.ImportMode,
          IdentityMode: input.IdentityMode,
          IdentityFieldKey: identityFieldKey,
          FieldMap: fieldMap,
          SkipUnchanged: input.SkipUnchanged,
        },
      },
    ],
  };
}

export function evolveProfile(state: Profile | null, event: Created | Changed): Profile {
  const d = event.data;
  return {
    Id: d.ProfileId,
    EntityId: d.EntityId,
    Key: d.Key,
    Name: d.Name,
    ImportMode: d.ImportMode as Profile["ImportMode"],
    IdentityMode: d.IdentityMode as Profile["IdentityMode"],
    IdentityFieldKey: d.IdentityFieldKey,
    FieldMap: d.FieldMap,
    SkipUnchanged: d.SkipUnchanged,
    Version: state ? state.Version + 1 : 1,
  };
}
