import { actorOf } from "../../http/actor.js";
import { failed, ok } from "../../http/envelope.js";
import { findDefinition, findProfile, listProfiles } from "../../projections/queries.js";
import { entityNotFound } from "../../services/definitions.service.js";
import { createProfile, profileNotFound } from "../../services/profiles.service.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./profiles.routes.js";

export const create: AppRouteHandler<typeof routes.create> = async (c) => {
  const r = await createProfile(c.get("deps"), actorOf(c), c.req.valid("param").entity, c.req.valid("json"));
  return r.ok ? ok(r.profile, r.status) : failed(r.status, r.errors);
};

export const list: AppRouteHandler<typeof routes.list> = async (c) => {
  const { entity } = c.req.valid("param");
  const d = await findDefinition(c.get("deps").store, entity);
  if (!d) return failed(404, entityNotFound(entity).errors);
  return ok(await listProfiles(c.get("deps").store, d.Id));
};

export const get: AppRouteHandler<typeof routes.get> = async (c) => {
  const { entity, profile } = c.req.valid("param");
  const d = await findDefinition(c.get("deps").store, entity);
  if (!d) return failed(404, entityNotFound(entity).errors);
  const p = await findProfile(c.get("deps").store, d.Id, profile);
  return p ? ok(p) : failed(404, profileNotFound(profile).errors);
};
