import { OpenAPIHono } from "@hono/zod-openapi";
import { swaggerUI } from "@hono/swagger-ui";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { issue } from "./domain/issues.js";
import { accessLog } from "./http/access-log.js";
import { authenticate, createTokenTable } from "./http/auth.js";
import type { AppEnv, Logger } from "./http/context.js";
import { failed } from "./http/envelope.js";
import { idempotency } from "./http/idempotency.js";
import { jsonDepthLimit } from "./http/json-depth.js";
import { problem } from "./http/problem.js";
import { auditRouter } from "./routes/audit/audit.index.js";
import { definitionsRouter } from "./routes/definitions/definitions.index.js";
import { exportImportRouter, hokifyWebhookRouter, type ExportImportOptions } from "./routes/export-import/export-import.index.js";
import { instancesRouter } from "./routes/instances/instances.index.js";
import { jsonImportRouter } from "./routes/json-import/json-import.index.js";
import { profilesRouter } from "./routes/profiles/profiles.index.js";
import type { HokifySettings } from "./hokify/settings.js";
import type { Deps } from "./services/deps.js";

export type AppOptions = {
  deps: Deps;
  /** token → scopes; null refuses every call (unless `authDisabled`). */
  tokens: Record<string, string[]> | null;
  authDisabled: boolean;
  maxUploadBytes: number;
  logger: Logger;
  /** Hokify access and webhook secret (`config.hokify`); without them the Hokify routes answer 503. */
  hokify?: HokifySettings | null;
  /** PUBLIC_BASE_URL: origin of absolute DownloadUrls; absent, the request's origin is used. */
  publicBaseUrl?: string | null;
  /**
   * Keeps work that outlives its response (webhook imports) alive, e.g. tracked so a graceful
   * shutdown awaits it. Absent: Workers' `executionCtx.waitUntil`, else the promise runs detached.
   */
  runInBackground?: (p: Promise<unknown>) => void;
};

export const silentLogger: Logger = { info() {}, error() {} };

/** Builds the whole HTTP app from its dependencies; no runtime-specific code lives here. */
export async function createApp(opts: AppOptions) {
  const tokenTable = opts.tokens ? await createTokenTable(opts.tokens) : null;
  const app = new OpenAPIHono<AppEnv>();

  app.use("*", requestId({ limitLength: 200 }));
  app.use("*", async function injectDeps(c, next) {
    c.set("deps", opts.deps);
    await next();
  });
  app.use("*", accessLog(opts.logger));

  app.get("/health", (c) => c.json({ status: "ok" }));
  app.openAPIRegistry.registerComponent("securitySchemes", "Bearer", { type: "http", scheme: "bearer", description: "Authorization: Bearer <token>" });
  app.openAPIRegistry.registerComponent("securitySchemes", "AccessToken", {
    type: "apiKey",
    in: "query",
    name: "access_token",
    description: "For clients that cannot set headers. Prefer the Authorization header.",
  });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Import service",
      version: "1.0.0",
      description:
        "Event-sourced import service: plan and apply JSON export packages, export, and read instances. Every JSON route answers `ApiResult<T> = { Data, Errors, Warnings }`; authentication and unexpected faults answer RFC 9457 problem details. Enums travel as integers; each schema's description names the values.",
    },
  });
  app.get("/docs", swaggerUI({ url: "/openapi.json", title: "Import service API" }));

  app.use(
    "/api/*",
    bodyLimit({
      maxSize: opts.maxUploadBytes,
      onError: (c) => problem(c, 413, `The request body is larger than ${opts.maxUploadBytes} bytes (MAX_UPLOAD_BYTES).`),
    }),
  );
  const exportImport: ExportImportOptions = { hokify: opts.hokify ?? null, publicBaseUrl: opts.publicBaseUrl ?? null, runInBackground: opts.runInBackground, logger: opts.logger };
  // Hokify's webhook proves itself by its HMAC signature, not a bearer token: mounted before authenticate.
  app.route("/", hokifyWebhookRouter(exportImport));
  app.use("/api/*", authenticate({ tokens: tokenTable, open: opts.authDisabled }));
  app.use("/api/*", jsonDepthLimit());
  app.use("/api/*", idempotency());

  app.route("/", definitionsRouter());
  app.route("/", profilesRouter());
  app.route("/", jsonImportRouter({ maxUploadBytes: opts.maxUploadBytes }));
  app.route("/", instancesRouter());
  app.route("/", auditRouter());
  app.route("/", exportImportRouter(exportImport));

  app.notFound((c) => problem(c, 404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`));
  app.onError((err, c) => {
    if (err instanceof HTTPException && err.status < 500) {
      // Malformed JSON or form bodies, caught by the validators before a handler runs.
      if (err.status === 413) return problem(c, 413, err.message);
      // SPEC §4/§5 promise 400 for any unusable request, so a wrong media type is a 400 too.
      if (err.status === 415) return failed(400, [issue("invalid_request", `Unsupported Content-Type '${c.req.header("content-type") ?? ""}': see the route's request body in /openapi.json.`)]);
      return failed(err.status, [issue("invalid_request", err.message || "The request body could not be read.")]);
    }
    opts.logger.error("unhandled error", { requestId: c.get("requestId"), error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), stack: err instanceof Error ? err.stack : undefined });
    return problem(c, 500, `An unexpected error occurred. Quote request id ${c.get("requestId")} when reporting it.`);
  });
  return app;
}
