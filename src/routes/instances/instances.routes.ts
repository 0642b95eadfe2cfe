import { createRoute, z } from "@hono/zod-openapi";
import { HistoryResult, InstancePageResult, InstanceResult } from "../../schemas/instances.js";
import { EntityParam, authResponses, envelope, security } from "../common.js";

const tags = ["Instances"];
const base = "/api/workspace/entity/{entity}/instances";
const IdParam = EntityParam.extend({ id: z.string().min(1).max(200).openapi({ param: { name: "id", in: "path" } }) });

export const list = createRoute({
  method: "get",
  path: base,
  tags,
  security,
  summary: "List instances, oldest first, with cursor paging.",
  request: {
    params: EntityParam,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(1000).default(100).openapi({ description: "Page size (1–1000, default 100)." }),
      cursor: z.string().max(400).optional().openapi({ description: "NextCursor of the previous page." }),
    }),
  },
  responses: { 200: envelope("A page of instances.", InstancePageResult), 400: envelope("Bad paging.", InstancePageResult), 404: envelope("Unknown entity.", InstancePageResult), ...authResponses },
});

export const get = createRoute({
  method: "get",
  path: `${base}/{id}`,
  tags,
  security,
  summary: "Read one instance, now or as of a point of the log.",
  request: {
    params: IdParam,
    query: z.object({
      asOf: z.string().max(40).optional().openapi({ description: "An event position (integer) or an ISO 8601 time: the state at that point of the log.", example: "2026-02-04T06:23:58.000Z" }),
    }),
  },
  responses: { 200: envelope("The instance.", InstanceResult), 400: envelope("Bad asOf.", InstanceResult), 404: envelope("Unknown entity or instance.", InstanceResult), ...authResponses },
});

export const history = createRoute({
  method: "get",
  path: `${base}/{id}/history`,
  tags,
  security,
  summary: "The events of one instance, oldest first.",
  request: { params: IdParam },
  responses: { 200: envelope("The instance's events.", HistoryResult), 404: envelope("Unknown entity or instance.", HistoryResult), ...authResponses },
});
