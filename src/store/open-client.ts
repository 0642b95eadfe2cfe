import type { Client } from "@libsql/client";

/**
 * Per-connection settings of an embedded file. Identity and id lookups of big imports walk large
 * indexes: keep them in memory (64 MiB page cache, 256 MiB memory-mapped reads).
 */
/**
 * Page size of a new database file. A commit writes each page it changed to the WAL and the
 * checkpoint copies it again: with 16 KiB pages a 2000-row commit is a quarter of the WAL frames
 * and write calls, and the 400-byte instance rows of the WITHOUT ROWID tables fit 35 to a page
 * instead of 8 (commit time -55 %, whole write -17 % at 100k rows; bench/notes-writepath.md).
 */
export const PAGE_SIZE = 16384;
export const EMBEDDED_PRAGMAS = { cache_size: -65536, mmap_size: 268435456 } as const;

/**
 * Pragmas for an embedded file: WAL lets readers run beside the writer; busy_timeout absorbs
 * other processes. A PRAGMA reaches only the connection it runs on, so the embedded client must
 * have exactly one (see openDatabase: `concurrency: 1`); journal_mode=WAL is kept in the file.
 */
export async function prepareEmbedded(client: Client): Promise<void> {
  // Before WAL and before any table: a new file gets 16 KiB pages. An existing file keeps its page
  // size (changing it takes a VACUUM outside WAL mode); everything works with either.
  await client.execute(`PRAGMA page_size = ${PAGE_SIZE}`);
  await client.execute("PRAGMA journal_mode = WAL");
  await client.execute("PRAGMA busy_timeout = 5000");
  await client.execute("PRAGMA synchronous = FULL");
  await client.execute("PRAGMA foreign_keys = ON");
  await client.execute(`PRAGMA cache_size = ${EMBEDDED_PRAGMAS.cache_size}`);
  await client.execute(`PRAGMA mmap_size = ${EMBEDDED_PRAGMAS.mmap_size}`);
}

export const isEmbeddedUrl = (url: string) => url.startsWith("file:") || url === ":memory:";
