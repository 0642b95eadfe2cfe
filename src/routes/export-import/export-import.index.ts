import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context.js";
import { problemValidationHook } from "../../http/validation.js";
import { bind } from "../types.js";
import { createHandlers, type ExportImportOptions } from "./export-import.handlers.js";
import * as routes from "./export-import.routes.js";

export type { ExportImportOptions } from "./export-import.handlers.js";

/** The bearer-authenticated routes of the older ExportImport API (mounted after the auth middleware). */
export function exportImportRouter(opts: ExportImportOptions) {
  const handlers = createHandlers(opts);
  return new OpenAPIHono<AppEnv>({ defaultHook: problemValidationHook })
    .openapi(routes.hokifyImport, bind(handlers.hokifyImport))
    .openapi(routes.runReport, bind(handlers.runReport))
    .openapi(routes.results, bind(handlers.results));
}

/**
 * Hokify's webhook, authenticated by its HMAC signature instead of a bearer token: mounted
 * before the auth middleware. Documented through the registry only, because a validator would
 * parse the body the signature must be checked over.
 */
export function hokifyWebhookRouter(opts: ExportImportOptions) {
  const handlers = createHandlers(opts);
  const app = new OpenAPIHono<AppEnv>();
  app.openAPIRegistry.registerPath(routes.webhook);
  app.post(routes.webhook.path, handlers.webhook);
  return app;
}
