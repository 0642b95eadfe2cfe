import { fork, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { deserialize } from "node:v8";
import { LibsqlError, type InStatement, type Row } from "@libsql/client";
import { frameReader } from "./read-process-frames.js";
import { BUSY_TIMEOUT_MS } from "./open-database.js";
import { decodeRow } from "./thread-client.js";

/**
 * A read-only connection to an embedded file in a child process of its own (read-process.mjs),
 * started with the server and kept while it runs.
 *
 * SQLite takes one allocation mutex for every connection of a process, so a second connection
 * on another thread of this process slows the first down by about what it adds. A connection in
 * another process shares nothing with this one but the file: a replay's check reads its pages
 * there and on the database thread at once (bench/notes-replay.md, stop 18).
 *
 * `query` answers as `@libsql/client` does for a positional read (rows by index and by column
 * name, integers as numbers, BLOBs as ArrayBuffers; LibsqlError on an SQLite error). Its
 * connection is open only while reads come (`idleMs` after the last one). `current`
 * is the query function while the process is up, else null (still starting, or stopped: then it
 * is started again, for the next caller). It never keeps the server's process alive.
 */
export type ReadProcess = {
  current(): ((stmt: InStatement) => Promise<Row[]>) | null;
  /** True once the current process answers queries; false when it stopped before. */
  ready(): Promise<boolean>;
  pid(): number | undefined;
  close(): Promise<void>;
};

type Answer = { id: number; columns: string[]; rows: unknown[][]; error?: undefined } | { id: number; error: { name: string; message: string; code?: string; rawCode?: number } };

/** How long the process keeps its connection open after the last read (see read-process.mjs). */
export const READ_PROCESS_IDLE_MS = 2000;

export function startReadProcess(fileUrl: string, timeout: number, idleMs = READ_PROCESS_IDLE_MS): ReadProcess {
  const path = resolve(fileUrl.slice("file:".length));
  let child = start();
  let closed = false;

  function start() {
    const proc: ChildProcess = fork(new URL("./read-process.mjs", import.meta.url), [JSON.stringify({ path, timeout, idleMs })], {
      serialization: "advanced",
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "pipe", "ipc"],
    });
    const answers = proc.stdio[3] as Readable;
    const pending = new Map<number, { resolve(rows: Row[]): void; reject(e: unknown): void }>();
    const state = { up: false, stopped: false, nextId: 0 };
    let markReady: (up: boolean) => void = () => {};
    const ready = new Promise<boolean>((r) => (markReady = r));
    // Held (ref'd) only while it starts or a query waits for it.
    const hold = (on: boolean) => {
      for (const h of [proc, proc.channel, answers] as Array<{ ref?(): void; unref?(): void } | null | undefined>) if (on) h?.ref?.();
      else h?.unref?.();
    };
    const stop = (error: Error) => {
      if (state.stopped) return;
      state.stopped = true;
      state.up = false;
      markReady(false);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
      hold(false);
    };
    proc.on("message", (m: { ready?: boolean }) => {
      if (!m.ready) return;
      state.up = true;
      markReady(true);
      if (pending.size === 0) hold(false);
    });
    proc.on("error", (e) => stop(e));
    // A pipe that breaks (the process died with answers unread) fails the calls, not the server.
    answers.on("error", (e) => stop(e));
    proc.on("exit", () => stop(new LibsqlError("The read process has stopped", "CLIENT_CLOSED")));
    answers.on(
      "data",
      frameReader((meta, blobs) => {
        const m = deserialize(meta) as Answer;
        const p = pending.get(m.id);
        if (!p) return;
        pending.delete(m.id);
        if (pending.size === 0) hold(false);
        if (m.error) return p.reject(errorOf(m.error));
        // `{ blob: k }` stands for the frame's k-th BLOB (read-process.mjs).
        const value = (v: unknown) => (v !== null && typeof v === "object" ? blobs[(v as { blob: number }).blob] : v);
        p.resolve(m.rows.map((values) => decodeRow(values.map(value), m.columns)));
      }),
    );
    const query = (stmt: InStatement): Promise<Row[]> => {
      if (state.stopped) return Promise.reject(new LibsqlError("The read process has stopped", "CLIENT_CLOSED"));
      const { sql, args = [] } = typeof stmt === "string" ? { sql: stmt } : stmt;
      if (!Array.isArray(args)) return Promise.reject(new TypeError("The read process takes positional arguments only"));
      const id = state.nextId++;
      return new Promise<Row[]>((resolve, reject) => {
        if (pending.size === 0) hold(true);
        pending.set(id, { resolve, reject });
        proc.send({ id, sql, args: args.map(argOf) });
      });
    };
    return { proc, state, ready, query, hold };
  }

  return {
    current() {
      if (closed) return null;
      if (child.state.stopped) child = start();
      return child.state.up ? child.query : null;
    },
    ready: () => child.ready,
    pid: () => child.proc.pid,
    async close() {
      closed = true;
      if (child.state.stopped) return;
      const exited = new Promise((r) => child.proc.once("exit", r));
      // Held until it has exited: a server closing would otherwise end before its read process.
      child.hold(true);
      child.proc.kill();
      await exited;
    },
  };
}

/** The read process of a `file:` database when it is wanted (READ_PROCESS); a remote or in-memory one has none. */
export const readProcessFor = (url: string, wanted: boolean | undefined): ReadProcess | null =>
  wanted && url.startsWith("file:") ? startReadProcess(url, BUSY_TIMEOUT_MS) : null;

/** Arguments as @libsql/client binds them (booleans as 0/1, dates as milliseconds). */
const argOf = (v: unknown) => (typeof v === "boolean" ? (v ? 1 : 0) : v instanceof Date ? v.valueOf() : v);

function errorOf(e: { name: string; message: string; code?: string; rawCode?: number }): Error {
  if (e.name === "SqliteError") return new LibsqlError(e.message, e.code ?? "SQLITE_UNKNOWN", e.code, e.rawCode);
  if (e.name === "RangeError") return new RangeError(e.message);
  if (e.name === "TypeError") return new TypeError(e.message);
  return Object.assign(new Error(e.message), { name: e.name });
}
