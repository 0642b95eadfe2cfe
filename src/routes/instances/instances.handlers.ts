import { failed, ok } from "../../http/envelope.js";
import { instanceHistory, pageInstances, readInstance } from "../../services/instances.service.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./instances.routes.js";

export const list: AppRouteHandler<typeof routes.list> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const r = await pageInstances(c.get("deps"), c.req.valid("param").entity, limit, cursor);
  return r.ok ? ok(r.page) : failed(r.status, r.errors);
};

export const get: AppRouteHandler<typeof routes.get> = async (c) => {
  const { entity, id } = c.req.valid("param");
  const r = await readInstance(c.get("deps"), entity, id, c.req.valid("query").asOf);
  return r.ok ? ok(r.instance) : failed(r.status, r.errors);
};

export const history: AppRouteHandler<typeof routes.history> = async (c) => {
  const { entity, id } = c.req.valid("param");
  const r = await instanceHistory(c.get("deps"), entity, id);
  return r.ok ? ok(r.events) : failed(r.status, r.errors);
};
