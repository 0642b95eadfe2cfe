import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./instances.handlers.js";
import * as routes from "./instances.routes.js";

export function instancesRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(routes.list, bind(handlers.list))
    .openapi(routes.get, bind(handlers.get))
    .openapi(routes.history, bind(handlers.history));
}
