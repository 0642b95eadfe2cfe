import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { newId } from "../support/ids.js";
import { createApp } from "../app.js";
import type { Config } from "../config.js";
import type { Logger } from "../http/context.js";
import type { EventStore } from "../store/event-store.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";
import { createBackgroundTasks } from "../support/background.js";
import { fileChunks } from "./file-chunks.js";
import { createScanMemo } from "../import/scan-memo.js";
import { isEmbeddedUrl } from "../store/open-client.js";
import { BUSY_TIMEOUT_MS, openDatabase, type OpenOptions } from "./open-database.js";
import { createPlanThread } from "./plan-thread.js";
import { readProcessFor } from "./read-process.js";
import { createUploadThread } from "./upload-thread.js";
import { nodeSha256 } from "./node-sha256.js";
import { besideConnection } from "./split-client.js";

const spoolOf = (config: Config) => fileChunks({ dir: config.spoolDir ?? tmpdir(), memoryBytes: config.spoolMemoryBytes });

/** Start-up shared by the Node and Deno entries: everything but listening on a port. */

export const jsonLogger: Logger = {
  info: (msg, fields) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), msg, ...fields })),
  error: (msg, fields) => console.error(JSON.stringify({ level: "error", time: new Date().toISOString(), msg, ...fields })),
};

/** `LOG_LEVEL=silent` turns the access log off; errors are still written. */
export const loggerFor = (logLevel: string | undefined): Logger => (logLevel === "silent" ? { info() {}, error: jsonLogger.error } : jsonLogger);

export const AUTH_DISABLED_WARNING = "WARNING: AUTH_DISABLED=true — every request is accepted without a token. Use only for local trials.";

export type Service = {
  app: Awaited<ReturnType<typeof createApp>>;
  store: EventStore;
  /** The one-time all-scopes token made when no API_TOKENS are configured (and auth is on); else null. */
  token: string | null;
  /** Work that outlives its request (webhook imports); await `drain()` before closing the store. */
  background: ReturnType<typeof createBackgroundTasks>;
};

/**
 * Opens (and migrates) the database and builds the app. `database.thread`: see OpenOptions;
 * `planThread`: a package's record chunks are planned and read on two threads (plan-thread.ts);
 * `readProcess`: a read-only connection in a child process (read-process.ts). The last two are
 * Node only, and only for a `file:` database. `uploadThread`: uploads are hashed, decoded and cut
 * into record chunks on a worker thread (upload-thread.ts); Node only.
 */
export async function buildService(config: Config, logger: Logger = jsonLogger, database: OpenOptions & { planThread?: boolean; readProcess?: boolean; uploadThread?: boolean } = {}): Promise<Service> {
  const client = await openDatabase(config.libsqlUrl, config.libsqlAuthToken, database);
  // Started once the migrations ran: their connections find the tables in place.
  const planThread = database.planThread && isEmbeddedUrl(config.libsqlUrl) ? createPlanThread({ url: config.libsqlUrl, timeout: BUSY_TIMEOUT_MS }) : null;
  const readProcess = readProcessFor(config.libsqlUrl, database.readProcess);
  const live = createLibsqlEventStore(client, { beside: besideConnection(client) ?? undefined, readProcess: readProcess?.current });
  // Uploads the spool would keep in memory anyway; bigger ones are read as before (upload-thread.ts).
  const uploadThread = database.uploadThread
    ? createUploadThread({
        maxBytes: config.spoolMemoryBytes,
        onFailure: (e) => logger.error("upload thread stopped; uploads are read on the request threads from now on", { error: e.message }),
      })
    : null;
  // Closing the store lets go of everything that holds the file open, the plan thread and read
  // process too, and stops the upload thread.
  const store: EventStore =
    planThread || readProcess || uploadThread
      ? { ...live, close: async () => (await planThread?.close(), await uploadThread?.close(), await readProcess?.close(), await live.close()) }
      : live;
  const background = createBackgroundTasks();
  let tokens = config.apiTokens;
  let token: string | null = null;
  if (!tokens && !config.authDisabled) {
    token = randomBytes(24).toString("base64url");
    tokens = { [token]: ["*"] };
  }
  const app = await createApp({
    deps: { store, now: () => new Date(), newId, sha256Stream: nodeSha256, spoolChunks: spoolOf(config), ...(config.scanMemoFiles > 0 && { scanMemo: createScanMemo(config.scanMemoFiles) }), ...(planThread && { chunkWorker: planThread }), ...(uploadThread && { uploadReader: uploadThread.reader }) },
    tokens,
    authDisabled: config.authDisabled,
    maxUploadBytes: config.maxUploadBytes,
    logger,
    hokify: config.hokify,
    publicBaseUrl: config.publicBaseUrl,
    runInBackground: background.run,
  });
  return { app, store, token, background };
}

/** The lines `npm start` and `npm run start:deno` print once they listen. */
export function startupLines(config: Config, url: string, token: string | null): string[] {
  const lines = [`Import service listening on ${url} (database ${config.libsqlUrl})`, `API reference: ${url}/docs`];
  if (token) lines.push("No API_TOKENS configured: this one-time token has every scope until the process stops:", `  ${token}`);
  return lines;
}
