import { serve, type ServerType } from "@hono/node-server";
import type { Config } from "../config.js";
import type { Logger } from "../http/context.js";
import { buildService, jsonLogger } from "./service.js";

export { MIGRATIONS, openDatabase } from "./open-database.js";
export { jsonLogger } from "./service.js";

export type RunningServer = { url: string; port: number; token: string | null; close(): Promise<void> };

/**
 * Starts the service on Node: opens (and migrates) the database, builds the app, listens.
 * With no API_TOKENS and auth enabled, a one-time all-scopes token is made and returned.
 */
export async function startNodeServer(config: Config, logger: Logger = jsonLogger): Promise<RunningServer> {
  // Unless LIBSQL_THREAD=false: the embedded file's writes on a worker thread (split-client.ts);
  // with PLAN_THREAD=true: plans and first passes on two threads (plan-thread.ts); unless
  // READ_PROCESS=false: a read-only connection in a child process for a replay's pages (read-process.ts).
  const { app, store, token, background } = await buildService(config, logger, { thread: config.libsqlThread, planThread: config.planThread, readProcess: config.readProcess, uploadThread: config.uploadThread });
  const server: ServerType = await new Promise((ok) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => ok(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    port,
    token,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      // Webhook imports still running finish before the database closes under them.
      await background.drain();
      await store.close();
    },
  };
}
