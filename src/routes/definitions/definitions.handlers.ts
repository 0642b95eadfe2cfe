import { actorOf } from "../../http/actor.js";
import { failed, ok } from "../../http/envelope.js";
import { findDefinition, listDefinitions } from "../../projections/queries.js";
import { changeDefinition, createDefinition, entityNotFound } from "../../services/definitions.service.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./definitions.routes.js";

export const create: AppRouteHandler<typeof routes.create> = async (c) => {
  const r = await createDefinition(c.get("deps"), actorOf(c), c.req.valid("json"));
  return r.ok ? ok(r.definition, r.status) : failed(r.status, r.errors);
};

export const list: AppRouteHandler<typeof routes.list> = async (c) => ok(await listDefinitions(c.get("deps").store));

export const get: AppRouteHandler<typeof routes.get> = async (c) => {
  const { entity } = c.req.valid("param");
  const d = await findDefinition(c.get("deps").store, entity);
  if (d) return ok(d);
  const nf = entityNotFound(entity);
  return failed(nf.status, nf.errors);
};

export const change: AppRouteHandler<typeof routes.change> = async (c) => {
  const r = await changeDefinition(c.get("deps"), actorOf(c), c.req.valid("param").entity, c.req.valid("json"));
  return r.ok ? ok(r.definition, r.status) : failed(r.status, r.errors);
};
