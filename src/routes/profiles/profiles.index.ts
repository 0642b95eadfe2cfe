import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./profiles.handlers.js";
import * as routes from "./profiles.routes.js";

export function profilesRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(routes.create, bind(handlers.create))
    .openapi(routes.list, bind(handlers.list))
    .openapi(routes.get, bind(handlers.get));
}
