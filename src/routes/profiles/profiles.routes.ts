import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../http/auth.js";
import { ProfileBodySchema, ProfileListResult, ProfileResult } from "../../schemas/definitions.js";
import { EntityParam, authResponses, envelope, security } from "../common.js";

const tags = ["Data-transfer profiles"];
const base = "/api/workspace/entity/{entity}/data-transfer/profiles";

export const create = createRoute({
  method: "post",
  path: base,
  tags,
  security,
  middleware: [requireScope("definitions:write")] as const,
  summary: "Create a data-transfer profile (how packages match and map onto the entity).",
  request: {
    params: EntityParam,
    body: {
      required: true,
      content: { "application/json": { schema: ProfileBodySchema, example: { Key: "by_email", Name: "Match on e-mail", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email" } } },
    },
  },
  responses: {
    201: envelope("Created.", ProfileResult),
    400: envelope("Invalid profile.", ProfileResult),
    404: envelope("Unknown entity.", ProfileResult),
    409: envelope("A profile with this key exists.", ProfileResult),
    ...authResponses,
  },
});

export const list = createRoute({
  method: "get",
  path: base,
  tags,
  security,
  summary: "List the entity's profiles.",
  request: { params: EntityParam },
  responses: { 200: envelope("Profiles, by key.", ProfileListResult), 404: envelope("Unknown entity.", ProfileListResult), ...authResponses },
});

export const get = createRoute({
  method: "get",
  path: `${base}/{profile}`,
  tags,
  security,
  summary: "Read one profile by Id or Key.",
  request: { params: EntityParam.extend({ profile: z.string().min(1).max(200).openapi({ param: { name: "profile", in: "path" }, example: "by_email" }) }) },
  responses: { 200: envelope("The profile.", ProfileResult), 404: envelope("Unknown entity or profile.", ProfileResult), ...authResponses },
});
