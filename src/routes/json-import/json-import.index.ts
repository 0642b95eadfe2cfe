import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./json-import.handlers.js";
import * as routes from "./json-import.routes.js";

export function jsonImportRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(routes.plan, bind(handlers.plan))
    .openapi(routes.apply, bind(handlers.apply))
    .openapi(routes.exportJson, bind(handlers.exportJson));
}
