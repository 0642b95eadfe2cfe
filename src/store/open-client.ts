import type { Client } from "@libsql/client";

/** Pragmas for an embedded file: WAL lets readers run beside the writer; busy_timeout absorbs other processes. */
export async function prepareEmbedded(client: Client): Promise<void> {
  await client.execute("PRAGMA journal_mode = WAL");
  await client.execute("PRAGMA busy_timeout = 5000");
  await client.execute("PRAGMA synchronous = FULL");
  await client.execute("PRAGMA foreign_keys = ON");
  // Identity and id lookups of big imports walk large indexes: keep them in memory.
  await client.execute("PRAGMA cache_size = -65536");
  await client.execute("PRAGMA mmap_size = 268435456");
}

export const isEmbeddedUrl = (url: string) => url.startsWith("file:") || url === ":memory:";
