import { createClient, type Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isEmbeddedUrl, prepareEmbedded } from "../store/open-client.js";
import { createSplitClient } from "./split-client.js";
import { createThreadClient } from "./thread-client.js";

/** Shared by the Node and Deno entries: both load `node:` modules and npm packages from node_modules. */
export const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../db/migrations");

/** How long a write waits for another process's lock on an embedded file before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export type OpenOptions = {
  /**
   * Node only: an embedded file's writes on their own worker thread (thread-client.ts), so
   * SQLite's work on a commit overlaps the JavaScript that prepares the next one; reads stay on
   * a connection of this thread (split-client.ts).
   */
  thread?: boolean;
};

/** Opens the libSQL database (creating an embedded file's folder), sets its pragmas and applies pending migrations. */
export async function openDatabase(url: string, authToken?: string, options: OpenOptions = {}): Promise<Client> {
  if (url.startsWith("file:")) mkdirSync(dirname(resolve(url.slice("file:".length))), { recursive: true });
  // The embedded client keeps a pool: calls that overlap would open more connections, and a
  // PRAGMA (cache_size, mmap_size) reaches only the connection it ran on. One connection is all
  // an embedded file can use here anyway: every call runs synchronously on the one JS thread, so
  // overlapping calls wait their turn instead of getting a connection with SQLite's defaults.
  // `timeout` sets the busy timeout as the connection opens, so a second process's write lock is
  // waited for, never an immediate SQLITE_BUSY.
  // On the database thread the same applies: one connection there, calls run one at a time.
  const embedded = isEmbeddedUrl(url);
  const config = embedded ? { url, authToken, timeout: BUSY_TIMEOUT_MS, concurrency: 1 } : { url, authToken };
  const writer = embedded && options.thread ? createThreadClient(config) : null;
  const client = writer ? createSplitClient(createClient(config), writer) : createClient(config);
  if (embedded) await prepareEmbedded(client);
  // The writer reads little (index pages for its inserts, kept in its page cache); without its own
  // mapping, the file's pages are mapped once, by the reader, not counted twice in the RSS
  // (1M bench: peak 826 -> 694 MiB, apply and replay no slower).
  if (writer) await writer.execute("PRAGMA mmap_size = 0");
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS });
  return client;
}
