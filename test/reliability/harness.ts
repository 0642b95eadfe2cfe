import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@libsql/client";

/**
 * Shared by the reliability tests (vitest) and `npm run torture` / `npm run load` (tsx): the real
 * server as a child process, the log's invariants, and `npm run replay` as a child process.
 * Nothing here imports vitest; failures are thrown as plain Errors.
 */

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const TOKEN = "reliability-token-0123456789abcdef";

export type ServerProcess = {
  url: string;
  proc: ChildProcess;
  pid: number;
  /** Everything the process printed (stdout and stderr, interleaved), capped at the last 1 MB. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process is gone. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
};

/** `node --import tsx src/runtime/node.ts` on 127.0.0.1 with PORT=0, as `npm start` runs it. */
export async function spawnServer(opts: { dbFile: string; env?: Record<string, string>; tokens?: Record<string, string[]>; timeoutMs?: number }): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/runtime/node.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      LIBSQL_URL: `file:${opts.dbFile}`,
      API_TOKENS: JSON.stringify(opts.tokens ?? { [TOKEN]: ["*"] }),
      AUTH_DISABLED: "",
      LOG_LEVEL: "silent",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const collect = (b: Buffer) => {
    out += b.toString();
    if (out.length > 2_000_000) out = out.slice(-1_000_000);
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  const exited = new Promise<number | string>((ok) => proc.on("exit", (code, signal) => ok(signal ?? code ?? -1)));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not listen within ${opts.timeoutMs ?? 60_000} ms:\n${out.slice(-2000)}`)), opts.timeoutMs ?? 60_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) (clearTimeout(timer), proc.stdout!.off("data", check), ok(m[1]!));
    };
    proc.stdout!.on("data", check);
    void exited.then((code) => (clearTimeout(timer), fail(new Error(`server exited (${code}) before listening:\n${out.slice(-2000)}`))));
  });
  return {
    url,
    proc,
    pid: proc.pid!,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const hard = signal === "SIGKILL" ? null : setTimeout(() => proc.kill("SIGKILL"), 15_000);
      const code = await exited;
      if (hard) clearTimeout(hard);
      return code;
    },
  };
}

/** `npm run replay` (the same command) against a database file; exit code and output. */
export function runReplay(dbFile: string, args: string[] = []): Promise<{ code: number; out: string; ms: number }> {
  const started = performance.now();
  return new Promise((ok) => {
    execFile(
      process.execPath,
      ["--import", "tsx", join(ROOT, "src/runtime/replay.ts"), ...args],
      { cwd: ROOT, env: { ...process.env, LIBSQL_URL: `file:${dbFile}` }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : 99) : 0;
        ok({ code, out: `${stdout}${stderr}`, ms: Math.round(performance.now() - started) });
      },
    );
  });
}

export type TempDir = { dir: string; dbFile: string; remove(): void };
export function tempDb(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, dbFile: join(dir, "service.db"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type LogReport = {
  events: number;
  instances: number;
  instanceKeys: number;
  importRuns: number;
  violations: string[];
};

/**
 * Invariants of the log and its projections that must hold after any crash, race or hostile
 * request: positions 1..N without gaps, unique event ids, streams numbered 1..n, every instance
 * event stream has exactly its projection row (same version and RowVersion as its last event),
 * every identity claim points at a live instance, every run event has its run row.
 */
export async function checkLog(dbFile: string): Promise<LogReport> {
  const db = createClient({ url: `file:${dbFile}` });
  const one = async (sql: string) => Number((await db.execute(sql)).rows[0]?.[0] ?? 0);
  const violations: string[] = [];
  const expectZero = async (what: string, sql: string) => {
    const n = await one(sql);
    if (n !== 0) violations.push(`${what}: ${n}`);
  };
  try {
    const events = await one("SELECT count(*) FROM events");
    const maxPosition = await one("SELECT coalesce(max(position), 0) FROM events");
    const minPosition = await one("SELECT coalesce(min(position), 1) FROM events");
    if (maxPosition !== events || minPosition !== 1) violations.push(`positions are not 1..${events}: min ${minPosition}, max ${maxPosition}`);
    await expectZero("duplicate event ids", "SELECT count(*) - count(DISTINCT event_id) FROM events");
    await expectZero(
      "streams not numbered 1..n",
      "SELECT count(*) FROM (SELECT stream_id FROM events GROUP BY stream_id HAVING min(stream_version) != 1 OR max(stream_version) != count(*) OR count(DISTINCT stream_version) != count(*))",
    );
    await expectZero("positions out of stream order", "SELECT count(*) FROM events a JOIN events b ON a.stream_id = b.stream_id AND a.stream_version < b.stream_version AND a.position > b.position");
    const created = await one("SELECT count(*) FROM events WHERE type = 'InstanceCreated'");
    const instances = await one("SELECT count(*) FROM instances");
    if (created !== instances) violations.push(`InstanceCreated events (${created}) != instances (${instances})`);
    await expectZero(
      "instances whose version or RowVersion differs from their stream's last event",
      `SELECT count(*) FROM instances i LEFT JOIN events e ON e.stream_id = 'instance-' || i.id
         AND e.stream_version = (SELECT max(stream_version) FROM events x WHERE x.stream_id = e.stream_id)
       WHERE e.position IS NULL OR e.stream_version != i.version OR json_extract(e.data, '$.RowVersion') != i.row_version
         OR (e.type = 'InstanceDeleted') != (i.deleted = 1)`,
    );
    await expectZero(
      "instance streams without an instance row",
      "SELECT count(*) FROM (SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'instance-%') s WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.id = substr(s.stream_id, 10))",
    );
    await expectZero("identity claims of missing or deleted instances", "SELECT count(*) FROM instance_keys k LEFT JOIN instances i ON i.id = k.instance_id WHERE i.id IS NULL OR i.deleted = 1");
    const runEvents = await one("SELECT count(*) FROM events WHERE type IN ('ImportPlanned', 'ImportApplied', 'HokifyImportRan')");
    const importRuns = await one("SELECT count(*) FROM import_runs");
    if (runEvents !== importRuns) violations.push(`run events (${runEvents}) != import_runs rows (${importRuns})`);
    await expectZero(
      "run rows without their event",
      "SELECT count(*) FROM import_runs r WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.stream_id = 'import-' || r.id)",
    );
    return { events, instances, instanceKeys: await one("SELECT count(*) FROM instance_keys"), importRuns, violations };
  } finally {
    db.close();
  }
}

/** Throws with every violation listed. */
export async function assertLog(dbFile: string, context: string): Promise<LogReport> {
  const report = await checkLog(dbFile);
  if (report.violations.length) throw new Error(`${context}: the log's invariants are broken:\n  ${report.violations.join("\n  ")}`);
  return report;
}

export async function assertReplay(dbFile: string, context: string): Promise<number> {
  const r = await runReplay(dbFile);
  if (r.code !== 0) throw new Error(`${context}: npm run replay exited ${r.code}:\n${r.out.slice(-3000)}`);
  return r.ms;
}

/** A small seeded PRNG (mulberry32), so a failing run can be repeated with its seed. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    shuffle<T>(items: T[]): T[] {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
