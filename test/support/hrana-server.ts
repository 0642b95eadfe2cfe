/**
 * Hrana-over-HTTP test server backed by the real libSQL engine (the `libsql` npm package).
 *
 * TEST SUPPORT ONLY — never shipped, never imported from src/. It implements just what
 * `@libsql/client/web` (0.18, via @libsql/hrana-client 0.10) sends, so the stock web client and
 * drizzle's libsql driver can talk to a local libSQL database over HTTP the way they talk to
 * Turso/sqld in production:
 *
 * - `GET /v2` answers 200. The client does not actually probe: @libsql/client opens the hrana
 *   client with protocol version 2, which goes straight to `POST /v2/pipeline` with JSON.
 *   `/v3`, `/v3-protobuf` and cursors are therefore not served (404), protobuf is not implemented.
 * - `POST /v2/pipeline` with requests execute, batch, sequence, describe, store_sql, close_sql,
 *   get_autocommit and close.
 *
 * Behaviour copied from sqld (libsql-server) where the client or application code can see it:
 * - one connection per stream, addressed by a baton that changes on every response;
 * - error codes: SQLite failures carry the PRIMARY code name as sqld reports it ("SQLITE_CONSTRAINT",
 *   never "SQLITE_CONSTRAINT_UNIQUE"; plain SQLITE_ERROR is "SQLITE_UNKNOWN" because rusqlite has no
 *   variant for it), messages are prefixed "SQLite error: ", syntax errors are SQL_PARSE_ERROR;
 * - `execute` refuses SQL with zero or several statements and arguments that do not match the
 *   parameters, instead of silently running the first statement / binding NULL.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";

export interface HranaServerOptions {
  /** SQLite file path, or ":memory:" (backed by a temp file, deleted on close — see below). */
  path: string;
  /** Loopback address to bind; default 127.0.0.1. Anything else is refused. */
  host?: string;
  /** Default 0: pick a free port. */
  port?: number;
  /** When set, every request must carry `Authorization: Bearer <authToken>`. */
  authToken?: string;
  /** A stream (and its open transaction) is closed after this much inactivity; default 10 s like sqld. */
  idleStreamTimeoutMs?: number;
  /** How long a statement waits for another stream's write lock before failing with SQLITE_BUSY; default 5 s. */
  busyTimeoutMs?: number;
}

export interface HranaServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Protocol shapes (Hrana 2 JSON), only the fields the client sends or reads.

type ProtoValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

interface ProtoStmt {
  sql?: string;
  sql_id?: number;
  args?: ProtoValue[];
  named_args?: { name: string; value: ProtoValue }[];
  want_rows?: boolean;
}

type ProtoCond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: ProtoCond }
  | { type: "and" | "or"; conds: ProtoCond[] }
  | { type: "is_autocommit" };

type ProtoRequest =
  | { type: "execute"; stmt: ProtoStmt }
  | { type: "batch"; batch: { steps: { condition?: ProtoCond; stmt: ProtoStmt }[] } }
  | { type: "sequence" | "describe"; sql?: string; sql_id?: number }
  | { type: "store_sql"; sql_id: number; sql: string }
  | { type: "close_sql"; sql_id: number }
  | { type: "get_autocommit" }
  | { type: "close" };

interface ProtoErrorBody {
  message: string;
  code: string;
}

interface StmtResult {
  cols: { name: string; decltype: string | null }[];
  rows: ProtoValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

/** An error that goes back to the client as-is: `{ message, code }`. */
class HranaError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

type Connection = Database.Database;
type Statement = Database.Statement;

/** A stream is one libSQL connection plus the SQL texts the client stored on it. */
interface Stream {
  id: number;
  db: Connection;
  sqls: Map<number, string>;
  /** `SELECT changes(), last_insert_rowid(), total_changes()`, prepared once per connection. */
  meta: Statement;
  busyTimeoutMs: number;
  closed: boolean;
  /** Set when a statement gave up on SQLITE_BUSY; see `runWithBusyRetry`. */
  broken: string | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function startHranaServer(opts: HranaServerOptions): Promise<HranaServer> {
  const host = opts.host ?? "127.0.0.1";
  if (!LOOPBACK.has(host)) throw new Error(`hrana test server binds loopback only, got host ${host}`);
  const idleMs = opts.idleStreamTimeoutMs ?? 10_000;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5_000;

  // ":memory:" would give every stream (= connection) its own empty database, so it is backed by a
  // throw-away file instead: same semantics as a remote database, gone after close().
  const tempDir = opts.path === ":memory:" ? mkdtempSync(join(tmpdir(), "hrana-mem-")) : undefined;
  const dbPath = tempDir ? join(tempDir, "db.sqlite") : opts.path;

  // WAL is a property of the file, so setting it once here covers every later connection; doing it
  // per connection would only add a statement that can itself hit a lock.
  const setup = new Database(dbPath);
  setup.exec("PRAGMA journal_mode=WAL");
  setup.close();

  let nextStreamId = 1;
  const streamsByBaton = new Map<string, Stream>();
  const streams = new Set<Stream>();

  function openStream(): Stream {
    const db = new Database(dbPath);
    db.exec("PRAGMA busy_timeout=0"); // see runWithBusyRetry
    const meta = db.prepare("SELECT changes(), last_insert_rowid(), total_changes()").raw(true).safeIntegers(true);
    const stream: Stream = {
      id: nextStreamId++,
      db,
      sqls: new Map(),
      meta,
      busyTimeoutMs,
      closed: false,
      broken: undefined,
      idleTimer: undefined,
    };
    streams.add(stream);
    return stream;
  }

  function closeStream(stream: Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    clearTimeout(stream.idleTimer);
    streams.delete(stream);
    // Roll back a transaction the client never finished explicitly: libsql's close() does not close a
    // connection that prepared statements still reference (they hold it until garbage collection), so
    // relying on close() would keep the write lock of an abandoned transaction.
    if (stream.db.inTransaction) {
      try {
        stream.db.exec("ROLLBACK");
      } catch {
        // nothing left to roll back
      }
    }
    stream.db.close();
  }

  /** Hands out the next baton for `stream`; the previous one is already consumed. */
  function issueBaton(stream: Stream): string {
    const baton = `${stream.id}.${randomBytes(12).toString("base64url")}`;
    streamsByBaton.set(baton, stream);
    stream.idleTimer = setTimeout(() => {
      streamsByBaton.delete(baton);
      closeStream(stream);
    }, idleMs);
    stream.idleTimer.unref();
    return baton;
  }

  async function handlePipeline(body: unknown): Promise<{ status: number; json: unknown }> {
    if (!isObject(body) || !Array.isArray(body.requests)) {
      return { status: 400, json: { message: "Pipeline body must be an object with `requests`", code: "PROTOCOL_ERROR" } };
    }
    let stream: Stream;
    if (body.baton === undefined || body.baton === null) {
      stream = openStream();
    } else {
      const found = typeof body.baton === "string" ? streamsByBaton.get(body.baton) : undefined;
      if (found === undefined || found.closed) {
        return { status: 400, json: { message: "The stream has expired due to inactivity", code: "STREAM_EXPIRED" } };
      }
      // A baton is good for exactly one request; a replay (or a concurrent duplicate) gets the 400 above.
      streamsByBaton.delete(body.baton as string);
      clearTimeout(found.idleTimer);
      stream = found;
    }

    const results: unknown[] = [];
    for (const request of body.requests as ProtoRequest[]) {
      try {
        if (stream.closed) throw new HranaError("The stream is closed", "STREAM_CLOSED");
        results.push({ type: "ok", response: await handleRequest(stream, request, closeStream) });
      } catch (e) {
        results.push({ type: "error", error: toProtoError(e) });
      }
    }
    // Null baton only once the client closed the stream: on a null baton the client silently opens a
    // new stream for its next request, which would drop an interactive transaction without a word.
    const baton = stream.closed ? null : issueBaton(stream);
    return { status: 200, json: { baton, base_url: null, results } };
  }

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (opts.authToken !== undefined && req.headers.authorization !== `Bearer ${opts.authToken}`) {
      // sqld answers 401 with {"error": ...}; the client turns that into a SERVER_ERROR.
      return send(res, 401, { error: "Unauthorized: missing or invalid authentication token" });
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === "/v2") return send(res, 200, undefined);
    if (req.method === "POST" && path === "/v2/pipeline") {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return send(res, 400, { message: "Request body is not valid JSON", code: "PROTOCOL_ERROR" });
      }
      const { status, json } = await handlePipeline(body);
      return send(res, status, json);
    }
    return send(res, 404, { message: `No route for ${req.method} ${path}`, code: "NOT_FOUND" });
  }

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { message: String(e), code: "INTERNAL_ERROR" });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close() {
      closing ??= (async () => {
        for (const stream of [...streams]) closeStream(stream);
        streamsByBaton.clear();
        // fetch keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

async function handleRequest(
  stream: Stream,
  request: ProtoRequest,
  closeStream: (s: Stream) => void,
): Promise<unknown> {
  if (stream.broken !== undefined && request.type !== "close") throw new HranaError(stream.broken, "SQLITE_BUSY");
  switch (request.type) {
    case "execute":
      return { type: "execute", result: await executeStmt(stream, request.stmt) };
    case "batch":
      return { type: "batch", result: await executeBatch(stream, request.batch.steps) };
    case "sequence": {
      const sql = resolveSql(stream, request);
      // No busy retry here: a failed exec() may already have run its first statements.
      stream.db.exec(sql);
      return { type: "sequence" };
    }
    case "describe":
      return { type: "describe", result: describe(stream.db, resolveSql(stream, request)) };
    case "store_sql":
      if (stream.sqls.has(request.sql_id)) {
        throw new HranaError(`SQL text with id ${request.sql_id} already exists`, "PROTOCOL_ERROR");
      }
      stream.sqls.set(request.sql_id, request.sql);
      return { type: "store_sql" };
    case "close_sql":
      stream.sqls.delete(request.sql_id);
      return { type: "close_sql" };
    case "get_autocommit":
      return { type: "get_autocommit", is_autocommit: !stream.db.inTransaction };
    case "close":
      closeStream(stream);
      return { type: "close" };
    default:
      throw new HranaError(`Unknown request type ${JSON.stringify((request as { type: unknown }).type)}`, "PROTOCOL_ERROR");
  }
}

function resolveSql(stream: Stream, src: { sql?: string | null; sql_id?: number | null }): string {
  const hasSql = typeof src.sql === "string";
  const hasId = typeof src.sql_id === "number";
  if (hasSql && hasId) throw new HranaError("Both `sql` and `sql_id` were given", "PROTOCOL_ERROR");
  if (hasSql) return src.sql as string;
  if (!hasId) throw new HranaError("Neither `sql` nor `sql_id` was given", "PROTOCOL_ERROR");
  const sql = stream.sqls.get(src.sql_id as number);
  if (sql === undefined) throw new HranaError(`SQL text with id ${src.sql_id} was not found`, "PROTOCOL_ERROR");
  return sql;
}

async function executeStmt(stream: Stream, stmt: ProtoStmt): Promise<StmtResult> {
  const sql = resolveSql(stream, stmt);
  const scan = scanSql(sql);
  if (scan.statements === 0) throw new HranaError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (scan.statements > 1) throw new HranaError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  const args = bindArgs(scan, stmt);
  const wantRows = stmt.want_rows ?? true;

  const [, , totalBefore] = stream.meta.all([])[0] as bigint[];
  const result = await runWithBusyRetry(stream, sql, (prepared) => {
    if (!prepared.reader) {
      prepared.run(args);
      return { cols: [], rows: [] as unknown[][] };
    }
    const cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type }));
    const rows = prepared.raw(true).all(args) as unknown[][];
    if (scan.isExplain) resetExplain(prepared, args);
    return { cols, rows };
  });
  const [changes, lastRowid, totalAfter] = stream.meta.all([])[0] as bigint[];
  return {
    cols: result.cols,
    rows: wantRows ? result.rows.map((row) => row.map(encodeValue)) : [],
    // changes() keeps the count of the last INSERT/UPDATE/DELETE; only report it if this statement
    // changed something (total_changes moved), so a SELECT or DDL reports 0 as sqld does.
    affected_row_count: totalAfter !== totalBefore ? Number(changes) : 0,
    last_insert_rowid: String(lastRowid),
  };
}

/**
 * Runs one statement, waiting out SQLITE_BUSY (another stream holds the write lock) for up to
 * `busyTimeoutMs`. The wait is asynchronous on purpose: all streams live on this one thread, so
 * SQLite's own busy_timeout (a synchronous sleep) would freeze the server and the lock holder could
 * never send its COMMIT — a guaranteed stall, then SQLITE_BUSY. Hence busy_timeout=0 on every
 * connection and this loop instead.
 *
 * The retry re-runs the SAME statement object: libsql leaves a statement that failed
 * with SQLITE_BUSY active (holding a read snapshot) until it is run again, and a stray active
 * statement silently keeps later autocommit writes on that connection from committing. If we give up,
 * the connection is in that state, so the stream is marked broken and refuses further statements.
 */
async function runWithBusyRetry<T>(stream: Stream, sql: string, run: (stmt: Statement) => T): Promise<T> {
  const deadline = Date.now() + stream.busyTimeoutMs;
  let prepared: Statement | undefined;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      prepared ??= stream.db.prepare(sql);
      return run(prepared.safeIntegers(true));
    } catch (e) {
      // SQLITE_BUSY_SNAPSHOT (517) is not retried: a transaction whose snapshot is stale stays stale.
      const extended = e instanceof Database.SqliteError ? e.rawCode : undefined;
      if (extended !== SQLITE_BUSY && extended !== SQLITE_BUSY_RECOVERY) throw e;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || stream.closed) {
        if (prepared !== undefined) {
          stream.broken = `Stream unusable: a statement gave up on SQLITE_BUSY after ${stream.busyTimeoutMs} ms`;
        }
        throw e;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, remaining)));
      if (stream.closed) throw new HranaError("The stream was closed while waiting for a lock", "STREAM_CLOSED");
    }
  }
}

async function executeBatch(
  stream: Stream,
  steps: { condition?: ProtoCond; stmt: ProtoStmt }[],
): Promise<{ step_results: (StmtResult | null)[]; step_errors: (ProtoErrorBody | null)[] }> {
  const stepResults: (StmtResult | null)[] = [];
  const stepErrors: (ProtoErrorBody | null)[] = [];
  const holds = (cond: ProtoCond): boolean => {
    switch (cond.type) {
      case "ok":
        return stepResults[cond.step] != null;
      case "error":
        return stepErrors[cond.step] != null;
      case "not":
        return !holds(cond.cond);
      case "and":
        return cond.conds.every(holds);
      case "or":
        return cond.conds.some(holds);
      case "is_autocommit":
        return !stream.db.inTransaction;
      default:
        throw new HranaError(`Unknown batch condition ${JSON.stringify(cond)}`, "PROTOCOL_ERROR");
    }
  };
  // A failing step does not stop the batch: later steps decide through their conditions (the client
  // sends "COMMIT if the previous step was ok" and "ROLLBACK if the COMMIT was not ok").
  for (const step of steps) {
    stepResults.push(null);
    stepErrors.push(null);
    const i = stepResults.length - 1;
    if (step.condition !== undefined && step.condition !== null && !holds(step.condition)) continue;
    try {
      stepResults[i] = await executeStmt(stream, step.stmt);
    } catch (e) {
      if (e instanceof HranaError && e.code === "PROTOCOL_ERROR") throw e;
      stepErrors[i] = toProtoError(e);
    }
  }
  return { step_results: stepResults, step_errors: stepErrors };
}

/**
 * libsql does not reset a statement after its last row. For a normal statement that is harmless
 * (it halted at the end), but an EXPLAIN of a writing statement stays registered as an active
 * writer until reset, and while it is, every later autocommit write on the connection silently
 * stays uncommitted. get() re-runs the statement and resets it afterwards, and re-running an
 * EXPLAIN has no effect besides listing the program again.
 */
function resetExplain(stmt: Statement, args: unknown[]): void {
  stmt.get(args);
}

function describe(db: Connection, sql: string) {
  const scan = scanSql(sql);
  if (scan.statements === 0) throw new HranaError("SQL string does not contain any statement", "SQL_NO_STATEMENT");
  if (scan.statements > 1) throw new HranaError("SQL string contains more than one statement", "SQL_MANY_STATEMENTS");
  const stmt = db.prepare(sql);
  const cols = stmt.reader ? stmt.columns().map((c) => ({ name: c.name, decltype: c.type })) : [];
  // libsql does not expose sqlite3_stmt_readonly(); read it off the bytecode the way SQLite derives it:
  // a statement writes iff it opens a write transaction (OP_Transaction with P2 != 0) or is one of the
  // few opcodes that write without one.
  let isReadonly = true;
  if (!scan.isExplain) {
    const explain = db.prepare(`EXPLAIN ${sql}`).raw(true);
    const program = explain.all([]) as unknown[][];
    resetExplain(explain, []);
    isReadonly = !program.some(
      ([, opcode, , p2]) => (opcode === "Transaction" && p2 !== 0) || opcode === "Vacuum" || opcode === "JournalMode",
    );
  }
  return {
    params: Array.from({ length: scan.paramCount }, (_, i) => ({ name: scan.paramNames[i] ?? null })),
    cols,
    is_explain: scan.isExplain,
    is_readonly: isReadonly,
  };
}

// ---------------------------------------------------------------------------------------------
// Arguments and values

/**
 * Builds the positional argument array for libsql. Named arguments are resolved here because
 * libsql's own object binding panics (aborting the whole process) on statements that mix `?` and
 * named parameters. The rules are sqld's: every parameter needs a value, `?NNN` takes positional
 * argument NNN, a named parameter `:a` takes the named argument ":a" or "a".
 */
function bindArgs(scan: SqlScan, stmt: ProtoStmt): unknown[] {
  const positional = (stmt.args ?? []).map(decodeValue);
  const named = new Map((stmt.named_args ?? []).map((a) => [a.name, decodeValue(a.value)] as const));
  if (positional.length > 0 && named.size > 0) {
    throw new HranaError("Specifying both positional and named arguments is not supported", "ARGS_BOTH_POSITIONAL_AND_NAMED");
  }
  const given = positional.length + named.size;
  if (given > scan.paramCount) {
    throw argsInvalid(`too many parameters, expected ${scan.paramCount} found ${given}`);
  }
  const out: unknown[] = [];
  for (let index = 1; index <= scan.paramCount; index++) {
    const name = scan.paramNames[index - 1];
    let value: unknown;
    let found: boolean;
    if (name === undefined) {
      found = index <= positional.length;
      value = positional[index - 1];
    } else if (name.startsWith("?")) {
      const pos = Number(name.slice(1));
      found = pos <= positional.length;
      value = positional[pos - 1];
    } else {
      const key = named.has(name) ? name : name.slice(1);
      found = named.has(key);
      value = named.get(key);
    }
    if (!found && !scan.isExplain) throw argsInvalid(`value for parameter ${name ?? index} not found`);
    out.push(found ? value : null);
  }
  return out;
}

function argsInvalid(detail: string): HranaError {
  return new HranaError(`Arguments do not match SQL parameters: ${detail}`, "ARGS_INVALID");
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

function decodeValue(v: ProtoValue): unknown {
  switch (v?.type) {
    case "null":
      return null;
    case "integer": {
      const n = /^-?\d+$/.test(v.value) ? BigInt(v.value) : undefined;
      if (n === undefined || n < I64_MIN || n > I64_MAX) {
        throw new HranaError(`Invalid integer value ${JSON.stringify(v.value)}`, "PROTOCOL_ERROR");
      }
      return n; // bound as INTEGER
    }
    case "float":
      return v.value; // libsql binds every JS number as REAL, as sqld does for "float"
    case "text":
      return v.value;
    case "blob":
      return Buffer.from(v.base64, "base64");
    default:
      throw new HranaError(`Invalid value ${JSON.stringify(v)}`, "PROTOCOL_ERROR");
  }
}

/** Statements run with safeIntegers, so INTEGER arrives as bigint and a JS number is always REAL. */
function encodeValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  if (typeof v === "number") return { type: "float", value: v };
  if (typeof v === "string") return { type: "text", value: v };
  if (v instanceof Uint8Array) return { type: "blob", base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  if (v instanceof ArrayBuffer) return { type: "blob", base64: Buffer.from(v).toString("base64") };
  throw new Error(`Unexpected value from libsql: ${String(v)}`);
}

// ---------------------------------------------------------------------------------------------
// Errors

const SQLITE_BUSY = 5;
const SQLITE_BUSY_RECOVERY = 5 | (1 << 8);

/** sqld's mapping (libsql-server hrana/stmt.rs): primary result code → name; SQLITE_ERROR is unnamed. */
const SQLD_CODE_NAMES: Record<number, string> = {
  2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT", 5: "SQLITE_BUSY", 6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM", 8: "SQLITE_READONLY", 9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT",
  12: "SQLITE_NOTFOUND", 13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH", 21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS",
  23: "SQLITE_AUTH", 25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
};

/** The primary SQLite result code of a libsql SqliteError, or undefined for other errors. */
function sqliteRawCode(e: unknown): number | undefined {
  if (e instanceof Database.SqliteError && typeof e.rawCode === "number") return e.rawCode & 0xff;
  return undefined;
}

function toProtoError(e: unknown): ProtoErrorBody {
  if (e instanceof HranaError) return { message: e.message, code: e.code };
  const raw = sqliteRawCode(e);
  if (raw !== undefined) {
    const message = (e as Error).message;
    // sqld parses SQL itself before SQLite sees it, so syntax errors never reach SQLite there.
    if (raw === 1 && /syntax error|unrecognized token|incomplete input/.test(message)) {
      return { message: `SQL string could not be parsed: ${message}`, code: "SQL_PARSE_ERROR" };
    }
    return { message: `SQLite error: ${message}`, code: SQLD_CODE_NAMES[raw] ?? "SQLITE_UNKNOWN" };
  }
  return { message: e instanceof Error ? e.message : String(e), code: "INTERNAL_ERROR" };
}

// ---------------------------------------------------------------------------------------------
// SQL scanning

interface SqlScan {
  /** Number of non-empty statements. */
  statements: number;
  /** SQLite's parameter count: the largest parameter index. */
  paramCount: number;
  /** Name of parameter i+1 (":a", "?3", ...), undefined for a plain `?` or an unused index. */
  paramNames: (string | undefined)[];
  isExplain: boolean;
}

// One token per match: whitespace/comments (skipped), quoted strings and identifiers, `?NNN`,
// named parameters, words, numbers, or any single character.
const TOKEN =
  /(\s+|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?|"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)|\?(\d*)|([:@$][A-Za-z0-9_\u0080-\uffff]+)|([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)|([0-9.][0-9A-Za-z_.]*)|([\s\S])/gy;

/**
 * Tokenizes just enough of SQLite's grammar to count statements and number the parameters the way
 * SQLite does (`?` takes max+1, `?NNN` takes NNN, a repeated name reuses its index). libsql does
 * not expose parameter names nor the unparsed tail of a prepared statement, and sqld rejects what
 * this detects. Semicolons inside a CREATE TRIGGER body do not end the statement: like
 * sqlite3_complete(), a trigger ends only at `; END ;`.
 */
function scanSql(sql: string): SqlScan {
  let statements = 0;
  let paramCount = 0;
  const paramNames: (string | undefined)[] = [];
  const named = new Map<string, number>();
  let isExplain = false;
  let head: string[] = []; // first keywords of the current statement
  let prev = "";
  let prev2 = "";

  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(sql); m !== null; m = TOKEN.exec(sql)) {
    if (m[1] !== undefined) continue;
    let token: string;
    if (m[3] !== undefined) {
      token = "?";
      const index = m[3] === "" ? paramCount + 1 : Number(m[3]);
      if (m[3] !== "" && paramNames[index - 1] === undefined) paramNames[index - 1] = `?${m[3]}`;
      paramCount = Math.max(paramCount, index);
    } else if (m[4] !== undefined) {
      token = "VAR";
      if (!named.has(m[4])) {
        paramCount += 1;
        named.set(m[4], paramCount);
        paramNames[paramCount - 1] = m[4];
      }
    } else {
      token = m[5] !== undefined ? m[5].toUpperCase() : (m[0] ?? "");
    }

    if (token === ";") {
      if (head.length === 0) continue; // empty statement
      const isTrigger = /^(EXPLAIN (QUERY PLAN )?)?CREATE (TEMP |TEMPORARY )?TRIGGER\b/.test(head.join(" "));
      if (isTrigger && !(prev === "END" && prev2 === ";")) {
        [prev2, prev] = [prev, token];
        continue;
      }
      statements += 1;
      head = [];
      prev = prev2 = "";
      continue;
    }
    if (head.length === 0 && statements === 0) isExplain = token === "EXPLAIN";
    if (head.length < 6) head.push(token);
    [prev2, prev] = [prev, token];
  }
  if (head.length > 0) statements += 1;
  return { statements, paramCount, paramNames, isExplain };
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, json: unknown): void {
  if (json === undefined) {
    res.writeHead(status).end();
    return;
  }
  // Exactly "application/json": the client only parses error bodies whose content-type is that string.
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
}
