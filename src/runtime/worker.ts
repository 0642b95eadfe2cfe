import { createClient } from "@libsql/client/web";
import { newId } from "../support/ids.js";
import { createApp } from "../app.js";
import { readConfig, type Env } from "../config.js";
import type { Logger } from "../http/context.js";
import { runScheduledImports } from "../services/hokify-schedule.js";
import type { Deps } from "../services/deps.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";

/**
 * Cloudflare Workers entry: the same app against a remote libSQL database over HTTP.
 * Migrations are not run here (see `npm run db:migrate`); a Worker must start fast.
 */
type WorkerEnv = Env & Record<string, unknown>;
type Ctx = { waitUntil(p: Promise<unknown>): void; passThroughOnException?(): void };
type ScheduledController = { cron: string; scheduledTime: number };

const logger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", msg, ...fields })),
};

type Service = { app: Awaited<ReturnType<typeof createApp>>; deps: Deps; config: ReturnType<typeof readConfig> };
let servicePromise: Promise<Service> | null = null;

/** One app per isolate: the client and token table are reused across requests. */
function serviceFor(env: WorkerEnv): Promise<Service> {
  servicePromise ??= (async () => {
    const config = readConfig(stringVars(env));
    if (config.libsqlUrl.startsWith("file:")) throw new Error("LIBSQL_URL must be a libsql:// or https:// URL on Workers");
    const client = createClient({ url: config.libsqlUrl, authToken: config.libsqlAuthToken });
    if (config.authDisabled) logger.error("AUTH_DISABLED=true: every request is accepted without a token");
    const deps: Deps = { store: createLibsqlEventStore(client), now: () => new Date(), newId };
    const app = await createApp({
      deps,
      // Without API_TOKENS a Worker refuses every call (SPEC §1): there is no console to print a token to.
      tokens: config.apiTokens,
      authDisabled: config.authDisabled,
      maxUploadBytes: config.maxUploadBytes,
      logger,
      hokify: config.hokify,
      publicBaseUrl: config.publicBaseUrl,
      // No runInBackground: webhook imports use the request's executionCtx.waitUntil.
    });
    return { app, deps, config };
  })().catch((err) => {
    servicePromise = null;
    throw err;
  });
  return servicePromise;
}

function stringVars(env: WorkerEnv): Env {
  const out: Env = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: Ctx): Promise<Response> {
    try {
      const { app } = await serviceFor(env);
      return await app.fetch(request, env, ctx as never);
    } catch (err) {
      logger.error("worker start-up failed", { error: err instanceof Error ? err.message : String(err) });
      return new Response(JSON.stringify({ type: "https://import-service.dev/problems/service-unavailable", title: "Service Unavailable", status: 503, detail: "The service is not configured correctly; see the Worker's logs.", instance: new URL(request.url).pathname }), {
        status: 503,
        headers: { "content-type": "application/problem+json" },
      });
    }
  },

  /** The Cron Trigger of wrangler.toml: an incremental Hokify import per HOKIFY_SCOPES. */
  async scheduled(_controller: ScheduledController, env: WorkerEnv, ctx: Ctx): Promise<void> {
    const { deps, config } = await serviceFor(env);
    ctx.waitUntil(
      runScheduledImports(deps, config, logger).then(
        (runs) => logger.info("scheduled Hokify import finished", { runs: runs.length }),
        (err) => logger.error("scheduled Hokify import failed", { error: err instanceof Error ? err.message : String(err) }),
      ),
    );
  },
};
