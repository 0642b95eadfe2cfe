import type { Client } from "@libsql/client";

/**
 * Per-connection settings of an embedded file. Identity and id lookups of big imports walk large
 * indexes: keep them in memory (64 MiB page cache, 256 MiB memory-mapped reads).
 */
export const EMBEDDED_PRAGMAS = { cache_size: -65536, mmap_size: 268435456 } as const;

/**
 * Pragmas for an embedded file: WAL lets readers run beside the writer; busy_timeout absorbs
 * other processes. A PRAGMA reaches only the connection it runs on, so the embedded client must
 * have exactly one (see openDatabase: `concurrency: 1`); journal_mode=WAL is kept in the file.
 */
export async function prepareEmbedded(client: Client): Promise<void> {
  await client.execute("PRAGMA journal_mode = WAL");
  await client.execute("PRAGMA busy_timeout = 5000");
  await client.execute("PRAGMA synchronous = FULL");
  await client.execute("PRAGMA foreign_keys = ON");
  await client.execute(`PRAGMA cache_size = ${EMBEDDED_PRAGMAS.cache_size}`);
  await client.execute(`PRAGMA mmap_size = ${EMBEDDED_PRAGMAS.mmap_size}`);
}

export const isEmbeddedUrl = (url: string) => url.startsWith("file:") || url === ":memory:";
