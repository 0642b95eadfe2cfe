import { createRoute } from "@hono/zod-openapi";
import { DefinitionBodySchema, DefinitionChangeSchema, DefinitionListResult, DefinitionResult } from "../../schemas/definitions.js";
import { requireScope } from "../../http/auth.js";
import { EntityParam, authResponses, envelope, security } from "../common.js";

const tags = ["Entity definitions"];
const example = {
  Key: "candidate",
  DisplayNameSingular: "Candidate",
  DisplayNamePlural: "Candidates",
  Fields: [
    { Key: "email", Label: "E-mail", Type: "email", Required: true },
    { Key: "first_name", Label: "First name", Type: "string", Required: false, MaxLength: 100 },
  ],
};

export const create = createRoute({
  method: "post",
  path: "/api/workspace/entity-definitions",
  tags,
  security,
  middleware: [requireScope("definitions:write")] as const,
  summary: "Create an entity definition.",
  request: { body: { required: true, content: { "application/json": { schema: DefinitionBodySchema, example } } } },
  responses: {
    201: envelope("Created.", DefinitionResult),
    400: envelope("Invalid definition.", DefinitionResult),
    409: envelope("A definition with this key exists.", DefinitionResult),
    ...authResponses,
  },
});

export const list = createRoute({
  method: "get",
  path: "/api/workspace/entity-definitions",
  tags,
  security,
  summary: "List entity definitions.",
  responses: { 200: envelope("All definitions, by key.", DefinitionListResult), ...authResponses },
});

export const get = createRoute({
  method: "get",
  path: "/api/workspace/entity-definitions/{entity}",
  tags,
  security,
  summary: "Read one entity definition by Id or Key.",
  request: { params: EntityParam },
  responses: { 200: envelope("The definition.", DefinitionResult), 404: envelope("Unknown entity.", DefinitionResult), ...authResponses },
});

export const change = createRoute({
  method: "put",
  path: "/api/workspace/entity-definitions/{entity}",
  tags,
  security,
  middleware: [requireScope("definitions:write")] as const,
  summary: "Add or change fields (matched by Key); bumps Version. Fields not listed stay.",
  request: { params: EntityParam, body: { required: true, content: { "application/json": { schema: DefinitionChangeSchema } } } },
  responses: {
    200: envelope("The changed definition (unchanged when nothing differed).", DefinitionResult),
    400: envelope("Invalid change.", DefinitionResult),
    404: envelope("Unknown entity.", DefinitionResult),
    409: envelope("Changed concurrently.", DefinitionResult),
    ...authResponses,
  },
});

export type Routes = { create: typeof create; list: typeof list; get: typeof get; change: typeof change };
