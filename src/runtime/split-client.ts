import { LibsqlError, type Client, type InArgs, type InStatement, type TransactionMode } from "@libsql/client";

/**
 * Two connections to one embedded file behind one `Client`: writes go to `writer` (the database
 * thread, thread-client.ts), reads to `reader` on this thread.
 *
 * On the database thread alone every read paid the hop twice (rows built there, cloned, rebuilt
 * here), so reads lost 35–50 % (bench/notes-writepath.md). Here a read runs where its rows are
 * used, and the writer still overlaps an apply's JavaScript. WAL gives each read the last
 * committed state: a read started after a write resolved sees it; a read sent while a write is
 * still running sees the state before it (the pipelined apply relies on nothing more).
 *
 * A statement goes to the reader only when it cannot write: it starts with SELECT, or with WITH
 * and names no writing verb. Anything else (a PRAGMA included) goes to the writer, so a
 * misjudged read is only slower, never a write on the wrong connection. PRAGMAs also run on the
 * reader, where the per-connection ones (cache_size, mmap_size, busy_timeout) must hold too.
 */
export function createSplitClient(reader: Client, writer: Client): Client {
  // Reads already sent finish before the reader closes, as calls sent to the writer do.
  const reading = new Set<Promise<unknown>>();
  const read = <T>(start: () => Promise<T>): Promise<T> => {
    if (client.closed) return Promise.reject(new LibsqlError("The client is closed", "CLIENT_CLOSED"));
    const call = start();
    reading.add(call);
    const settled = () => void reading.delete(call);
    call.then(settled, settled);
    return call;
  };
  const client: Client = {
    closed: false,
    protocol: "file",
    async execute(stmtOrSql: InStatement | string, args?: InArgs) {
      const stmt = typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
      const sql = stmt.sql;
      if (isRead(sql)) return read(() => reader.execute(stmt));
      if (isPragma(sql)) {
        // One after the other: switching to WAL on both at once can fail with SQLITE_BUSY (a
        // journal mode change does not wait for the busy timeout).
        const written = await writer.execute(stmt);
        await read(() => reader.execute(stmt));
        return written;
      }
      return writer.execute(stmt);
    },
    batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode) {
      return mode === "read" ? read(() => reader.batch(stmts, mode)) : writer.batch(stmts, mode);
    },
    migrate: (stmts: InStatement[]) => writer.migrate(stmts),
    executeMultiple: (sql: string) => writer.executeMultiple(sql),
    async transaction(): Promise<never> {
      throw new LibsqlError("Interactive transactions are not available with the database thread; use batch", "TRANSACTION_NOT_SUPPORTED");
    },
    async sync(): Promise<never> {
      throw new LibsqlError("sync is not available on an embedded file", "SYNC_NOT_SUPPORTED");
    },
    reconnect() {
      throw new LibsqlError("reconnect is not available with the database thread", "RECONNECT_NOT_SUPPORTED");
    },
    close() {
      if (client.closed) return;
      client.closed = true;
      writer.close();
      void Promise.allSettled(reading).then(() => reader.close());
    },
  };
  writers.set(client, writer);
  return client;
}

const writers = new WeakMap<Client, Client>();

/** The database thread's connection of a split client (for EventStore.queryBeside), else null. */
export const besideConnection = (client: Client): Client | null => writers.get(client) ?? null;

const WRITING_VERB = /\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b/i;

/** True only for statements that cannot change the database. */
export const isRead = (sql: string): boolean => /^\s*SELECT\b/i.test(sql) || (/^\s*WITH\b/i.test(sql) && !WRITING_VERB.test(sql));

const isPragma = (sql: string) => /^\s*PRAGMA\b/i.test(sql);
