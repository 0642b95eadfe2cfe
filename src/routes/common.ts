import { z } from "@hono/zod-openapi";
import { problemResponses } from "../schemas/api.js";

export const security: Record<string, string[]>[] = [{ Bearer: [] }, { AccessToken: [] }];

export const EntityParam = z.object({
  entity: z.string().min(1).max(200).openapi({ param: { name: "entity", in: "path" }, description: "Entity definition Id or normalized Key.", example: "candidate" }),
});

export function envelope(description: string, schema: z.ZodTypeAny) {
  return { description, content: { "application/json": { schema } } };
}

export const authResponses = problemResponses;
