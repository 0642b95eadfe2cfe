import { z } from "zod";

/** Reads SPEC §10's names from an env-like record: process.env, a Worker's env, or Deno.env.toObject(). */
export type Env = Record<string, string | undefined>;

const TokensSchema = z.record(z.string().min(16, "tokens must be at least 16 characters"), z.array(z.string()).min(1));

export type Config = ReturnType<typeof readConfig>;

export class ConfigError extends Error {}

export function readConfig(env: Env) {
  let apiTokens: Record<string, string[]> | null = null;
  if (env.API_TOKENS && env.API_TOKENS.trim()) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.API_TOKENS);
    } catch {
      throw new ConfigError("API_TOKENS must be a JSON object: token → list of scopes");
    }
    const r = TokensSchema.safeParse(parsed);
    if (!r.success) throw new ConfigError(`API_TOKENS is invalid: ${r.error.issues.map((i) => i.message).join("; ")}`);
    apiTokens = r.data;
  }
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${name} must be a whole number`);
    return n;
  };
  const optionalInt = (name: string, min: number, max: number): number | null => {
    const raw = env[name];
    if (raw === undefined || raw === "") return null;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be a whole number in ${min}…${max}`);
    return n;
  };
  return {
    port: int("PORT", 8787),
    host: env.HOST || "127.0.0.1",
    libsqlUrl: env.LIBSQL_URL || "file:data/import-service.db",
    libsqlAuthToken: env.LIBSQL_AUTH_TOKEN || undefined,
    /**
     * Node only, embedded file only: an apply's commits run on a worker thread and overlap its
     * JavaScript; reads stay on this thread (split-client.ts). On unless LIBSQL_THREAD=false
     * (bench/notes-writepath.md, 2026-11-23 split reads).
     */
    libsqlThread: env.LIBSQL_THREAD !== "false",
    /**
     * Node only, embedded file only: part of a plan's record chunks are parsed, prepared, looked
     * up and decided, and part of an apply's first pass is read, on a worker thread
     * (plan-thread.ts). Off unless PLAN_THREAD=true: on this 2-core machine it did not pay over
     * HTTP and costs ≈ 150 MiB of peak memory (bench/notes-writepath.md, stop 14).
     */
    planThread: env.PLAN_THREAD === "true",
    /**
     * Node only, embedded file only: a read-only connection in a child process, started with the
     * server, reads part of a replay's check beside the database thread (read-process.ts). On
     * unless READ_PROCESS=false.
     */
    readProcess: env.READ_PROCESS !== "false",
    /**
     * Node only: a plan's streamed upload is hashed, decoded and cut into record chunks on a worker
     * thread, so this thread can plan the chunks already cut while the rest comes in
     * (upload-thread.ts, plan-early.ts). On unless UPLOAD_THREAD=false.
     */
    uploadThread: env.UPLOAD_THREAD !== "false",
    apiTokens,
    authDisabled: env.AUTH_DISABLED === "true",
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/+$/, "") || null,
    maxUploadBytes: int("MAX_UPLOAD_BYTES", 50 * 1024 * 1024),
    // Uploads beyond this many characters of records wait for the second pass in a temp file.
    spoolDir: env.SPOOL_DIR || null,
    spoolMemoryBytes: int("SPOOL_MEMORY_BYTES", 64 * 1024 * 1024),
    // How many recently read packages an apply may skip its first pass for (src/import/scan-memo.ts); 0 = none.
    scanMemoFiles: int("SCAN_MEMO_FILES", 16),
    // Node only: how far V8 may grow its heap past live data (src/runtime/heap-growth.ts); 0 = V8's default.
    heapGrowingPercent: int("HEAP_GROWING_PERCENT", 100),
    hokify: {
      baseUrl: env.HOKIFY_BASE_URL || null,
      mandator: env.HOKIFY_MANDATOR || null,
      apiToken: env.HOKIFY_API_TOKEN || null,
      webhookSecret: env.HOKIFY_WEBHOOK_SECRET || null,
      scopes: (env.HOKIFY_SCOPES || "1").split(",").map((s) => Number(s.trim())).filter((n) => Number.isSafeInteger(n) && n > 0),
      // Client tuning; unset means the client's documented defaults (docs/hokify.md §4).
      pageSize: optionalInt("HOKIFY_PAGE_SIZE", 1, 500),
      retryBaseMs: optionalInt("HOKIFY_RETRY_BASE_MS", 0, 60_000),
      maxRetries: optionalInt("HOKIFY_MAX_RETRIES", 0, 20),
      timeoutMs: optionalInt("HOKIFY_TIMEOUT_MS", 1, 600_000),
    },
  };
}
