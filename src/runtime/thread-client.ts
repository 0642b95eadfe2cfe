import { Worker } from "node:worker_threads";
import { workerCalls } from "./worker-calls.js";
import { LibsqlBatchError, LibsqlError, type Client, type Config, type InArgs, type InStatement, type ResultSet, type Row, type TransactionMode } from "@libsql/client";

/**
 * An embedded libSQL file on its own thread, behind the part of @libsql/client's `Client` that
 * the service uses (execute, batch, migrate, executeMultiple, close).
 *
 * The native binding runs every statement synchronously on the thread that calls it, so with
 * the client on the main thread an import's JavaScript (deciding the next rows, building their
 * statements) and SQLite writing the previous commit take turns on one core. Here the worker
 * owns the one connection and runs calls strictly in the order they were sent, one at a time:
 * pragmas set on it hold for every later call, a read sent after a write sees it, and the main
 * thread is free while a commit runs. LibsqlError (code, extendedCode, rawCode) and
 * LibsqlBatchError (statementIndex) are rebuilt on this side, so callers see what the
 * in-thread client would have thrown.
 */
export function createThreadClient(config: Config): Client {
  const worker = new Worker(new URL("./libsql-thread.mjs", import.meta.url), { workerData: { config } });
  const calls = workerCalls<EncodedError>(worker, { decodeError, exited: () => new LibsqlError("The database thread has stopped", "CLIENT_CLOSED") });
  const call = <T>(op: string, args: unknown[]): Promise<T> =>
    client.closed ? Promise.reject(new LibsqlError("The client is closed", "CLIENT_CLOSED")) : calls.call<T>({ op, args });

  const client: Client = {
    closed: false,
    protocol: "file",
    async execute(stmtOrSql: InStatement | string, args?: InArgs) {
      const stmt = typeof stmtOrSql === "string" ? { sql: stmtOrSql, args: args ?? [] } : stmtOrSql;
      return decodeResult(await call<EncodedResult>("execute", [stmt]));
    },
    async batch(stmts: Array<InStatement | [string, InArgs?]>, mode?: TransactionMode) {
      return (await call<EncodedResult[]>("batch", [stmts, mode])).map(decodeResult);
    },
    async migrate(stmts: InStatement[]) {
      return (await call<EncodedResult[]>("migrate", [stmts])).map(decodeResult);
    },
    async executeMultiple(sql: string) {
      await call<void>("executeMultiple", [sql]);
    },
    async transaction(): Promise<never> {
      throw new LibsqlError("Interactive transactions are not available on the database thread; use batch", "TRANSACTION_NOT_SUPPORTED");
    },
    async sync(): Promise<never> {
      throw new LibsqlError("sync is not available on the database thread", "SYNC_NOT_SUPPORTED");
    },
    reconnect() {
      throw new LibsqlError("reconnect is not available on the database thread", "RECONNECT_NOT_SUPPORTED");
    },
    close() {
      if (client.closed) return;
      // Calls already sent run first; the worker closes the connection, then ends.
      void call("close", []).catch(() => undefined);
      client.closed = true;
    },
  };
  return client;
}

type EncodedResult = { columns: string[]; columnTypes: string[]; rows: unknown[][]; rowsAffected: number; lastInsertRowid: bigint | undefined };
type EncodedError = {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  extendedCode?: string;
  rawCode?: number;
  statementIndex?: number;
  cause?: { name: string; message: string; code?: string };
};

/** The client's row shape: indexed values (not enumerable), `length`, and each column by name. */
export function decodeRow(values: unknown[], columns: string[]): Row {
  const row = {} as Row;
  Object.defineProperty(row, "length", { value: values.length });
  for (let i = 0; i < values.length; ++i) {
    const value = values[i];
    Object.defineProperty(row, i, { value });
    const column = columns[i]!;
    if (!Object.hasOwn(row, column)) Object.defineProperty(row, column, { value, enumerable: true, configurable: true, writable: true });
  }
  return row;
}

function decodeResult(r: EncodedResult): ResultSet {
  const rows = r.rows.map((values) => decodeRow(values, r.columns));
  return {
    columns: r.columns,
    columnTypes: r.columnTypes,
    rows,
    rowsAffected: r.rowsAffected,
    lastInsertRowid: r.lastInsertRowid,
    toJSON: () => ({
      columns: r.columns,
      columnTypes: r.columnTypes,
      rows: r.rows.map((values) => values.map((v) => (typeof v === "bigint" ? `${v}` : v instanceof ArrayBuffer ? Buffer.from(v).toString("base64") : v))),
      rowsAffected: r.rowsAffected,
      lastInsertRowid: r.lastInsertRowid !== undefined ? `${r.lastInsertRowid}` : null,
    }),
  };
}

function decodeError(e: EncodedError): Error {
  const cause = e.cause ? Object.assign(new Error(e.cause.message), { name: e.cause.name, code: e.cause.code }) : undefined;
  let error: Error;
  if (e.name === "LibsqlBatchError") error = new LibsqlBatchError("", e.statementIndex ?? 0, e.code ?? "UNKNOWN", e.extendedCode, e.rawCode, cause);
  else if (e.name === "LibsqlError") error = new LibsqlError("", e.code ?? "UNKNOWN", e.extendedCode, e.rawCode, cause);
  else if (e.name === "TypeError") error = new TypeError("");
  else if (e.name === "RangeError") error = new RangeError("");
  else error = Object.assign(new Error(""), { name: e.name });
  // The message exactly as thrown over there (LibsqlError's constructor would prefix the code again).
  error.message = e.message;
  if (e.stack) error.stack = e.stack;
  return error;
}
