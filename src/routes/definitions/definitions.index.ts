import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./definitions.handlers.js";
import * as routes from "./definitions.routes.js";

export function definitionsRouter() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  return app
    .openapi(routes.create, bind(handlers.create))
    .openapi(routes.list, bind(handlers.list))
    .openapi(routes.get, bind(handlers.get))
    .openapi(routes.change, bind(handlers.change));
}
