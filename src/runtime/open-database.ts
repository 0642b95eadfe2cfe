import { createClient, type Client } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isEmbeddedUrl, prepareEmbedded } from "../store/open-client.js";

/** Shared by the Node and Deno entries: both load `node:` modules and npm packages from node_modules. */
export const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../db/migrations");

/** Opens the libSQL database (creating an embedded file's folder), sets its pragmas and applies pending migrations. */
export async function openDatabase(url: string, authToken?: string): Promise<Client> {
  if (url.startsWith("file:")) mkdirSync(dirname(resolve(url.slice("file:".length))), { recursive: true });
  const client = createClient({ url, authToken });
  if (isEmbeddedUrl(url)) await prepareEmbedded(client);
  await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS });
  return client;
}
