import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./audit.handlers.js";
import * as routes from "./audit.routes.js";

export function auditRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(routes.events, bind(handlers.events))
    .openapi(routes.imports, bind(handlers.imports))
    .openapi(routes.importRun, bind(handlers.importRun))
    .openapi(routes.importRunRows, bind(handlers.importRunRows))
    .openapi(routes.replay, bind(handlers.replay));
}
