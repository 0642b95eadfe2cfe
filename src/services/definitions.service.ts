import type { z } from "@hono/zod-openapi";
import { decideChangeDefinition, decideCreateDefinition, evolveDefinition } from "../domain/definitions.js";
import { issue } from "../domain/issues.js";
import { normalizeKey } from "../domain/keys.js";
import { findDefinition } from "../projections/queries.js";
import type { DefinitionBodySchema, DefinitionChangeSchema, EntityDefinition } from "../schemas/definitions.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";

export type DefinitionOutcome = { ok: true; status: 200 | 201; definition: EntityDefinition } | Failure;

export async function createDefinition(deps: Deps, actor: Actor, input: z.output<typeof DefinitionBodySchema>): Promise<DefinitionOutcome> {
  const existing = await findDefinition(deps.store, normalizeKey(input.Key) || "\u0000");
  const decision = decideCreateDefinition(input, { id: deps.newId(), keyTaken: () => existing !== null && existing.Key === normalizeKey(input.Key) });
  if (!decision.ok) return decision;
  const event = decision.events[0]!;
  const outcome = await commitEvents(deps, [{ streamId: streams.definition(event.data.DefinitionId), streamVersion: 1, event }], { ...actor, CausationId: null });
  // The unique key on the projection catches a concurrent create of the same key.
  if (!outcome.ok) return { ok: false, status: 409, errors: [issue("key_already_exists", `An entity definition with key '${event.data.Key}' exists.`, { fieldKey: "Key" })] };
  return { ok: true, status: 201, definition: evolveDefinition(null, event) };
}

export async function changeDefinition(deps: Deps, actor: Actor, ref: string, input: z.output<typeof DefinitionChangeSchema>): Promise<DefinitionOutcome> {
  const current = await findDefinition(deps.store, ref);
  if (!current) return entityNotFound(ref);
  const decision = decideChangeDefinition(input, current);
  if (!decision.ok) return decision;
  const event = decision.events[0];
  if (!event) return { ok: true, status: 200, definition: current };
  const outcome = await commitEvents(deps, [{ streamId: streams.definition(current.Id), streamVersion: current.Version + 1, event }], { ...actor, CausationId: null });
  if (!outcome.ok) return { ok: false, status: 409, errors: [issue("concurrency_conflict", "The definition changed meanwhile; read it again and retry.")] };
  return { ok: true, status: 200, definition: evolveDefinition(current, event) };
}

export const entityNotFound = (ref: string): Failure => ({
  ok: false,
  status: 404,
  errors: [issue("entity_not_found", `No entity definition has the id or key '${ref.trim().slice(0, 100)}'.`)],
});
