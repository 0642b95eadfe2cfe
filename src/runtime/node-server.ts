import { serve, type ServerType } from "@hono/node-server";
import { createClient } from "@libsql/client";
import { migrate } from "drizzle-orm/libsql/migrator";
import { drizzle } from "drizzle-orm/libsql";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import { uuidv7 } from "uuidv7";
import { createApp } from "../app.js";
import type { Config } from "../config.js";
import type { Logger } from "../http/context.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";
import { isEmbeddedUrl, prepareEmbedded } from "../store/open-client.js";

export const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../db/migrations");

export const jsonLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", time: new Date().toISOString(), msg, ...fields })),
};

export async function openDatabase(url: string, authToken?: string) {
  if (url.startsWith("file:")) mkdirSync(dirname(resolve(url.slice("file:".length))), { recursive: true });
  const client = createClient({ url, authToken });
  if (isEmbeddedUrl(url)) await prepareEmbedded(client);
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS });
  return client;
}

export type RunningServer = { url: string; port: number; token: string | null; close(): Promise<void> };

/**
 * Starts the service on Node: opens (and migrates) the database, builds the app, listens.
 * With no API_TOKENS and auth enabled, a one-time all-scopes token is made and returned.
 */
export async function startNodeServer(config: Config, logger: Logger = jsonLogger): Promise<RunningServer> {
  const client = await openDatabase(config.libsqlUrl, config.libsqlAuthToken);
  const store = createLibsqlEventStore(client);
  let tokens = config.apiTokens;
  let generated: string | null = null;
  if (!tokens && !config.authDisabled) {
    generated = randomBytes(24).toString("base64url");
    tokens = { [generated]: ["*"] };
  }
  const app = await createApp({
    deps: { store, now: () => new Date(), newId: uuidv7 },
    tokens,
    authDisabled: config.authDisabled,
    maxUploadBytes: config.maxUploadBytes,
    logger,
  });
  const server: ServerType = await new Promise((ok) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => ok(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  return {
    url: `http://${config.host}:${port}`,
    port,
    token: generated,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      await store.close();
    },
  };
}
