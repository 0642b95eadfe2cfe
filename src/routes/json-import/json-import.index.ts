import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { validationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import * as handlers from "./json-import.handlers.js";
import * as routes from "./json-import.routes.js";

/** `{entity}` → `:entity`: plan and apply are routed by hand (see below) under their documented paths. */
const honoPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

export function jsonImportRouter(opts: { maxUploadBytes: number }) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Plan and apply read their multipart body as a stream (a package may be hundreds of MB), so
  // zod-openapi's form validator, which buffers the whole form, must not run: the routes are
  // documented from the same definitions and their fields are validated by the handlers.
  for (const [route, handler] of [
    [routes.plan, handlers.plan(opts)],
    [routes.apply, handlers.apply(opts)],
  ] as const) {
    app.openAPIRegistry.registerPath(route);
    app.on(route.method.toUpperCase(), honoPath(route.path), ...route.middleware, handler);
  }
  return app.openapi(routes.exportJson, bind(handlers.exportJson));
}
