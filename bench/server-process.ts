import { spawn, type ChildProcess } from "node:child_process";
import { npmStartNodeArgs } from "./start-command.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The service as a separate child process (`node --import tsx src/runtime/node.ts`), so its
 * memory is its own: a 50 ms sampler reads VmRSS from /proc/<pid>/status and keeps the peak of
 * each phase; VmHWM (the kernel's peak RSS) is read before the server stops. The server's own
 * child processes (its read process) count with it: their RSS is added to its RSS, their VmHWM
 * to its VmHWM (a bound on the peak of the sum), their CPU to its threads' other than the main.
 */

export const BENCH_TOKEN = "bench-token-0123456789abcdef";
const MiB = 1024 * 1024;

export type ServerOptions = {
  root: string;
  dbFile: string;
  /** Writes a .cpuprofile into this folder when the server exits. */
  profileDir?: string;
  nodeArgs?: string[];
};

export type BenchServer = {
  pid: number;
  url: string;
  token: string;
  /** Why the server died (exit code or signal and the tail of stderr); null while it runs. */
  exitReason(): string | null;
  /** The last lines the server wrote to stderr (its error log), for a failed request's reason. */
  stderrTail(): string;
  /** Starts a phase: later VmRSS samples count towards `name`'s peak. */
  phase(name: string): void;
  /** Peak VmRSS (MiB) seen per phase so far. */
  phasePeaks(): Record<string, number>;
  /** The kernel's peak RSS of the process (VmHWM, MiB), plus its child processes'. */
  peakRss(): number | null;
  stop(): Promise<void>;
};

/** The processes a process started and that still run, from /proc/<pid>/task/<tid>/children. */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** readStatusMiB of a process plus its children's (null when the process itself is gone). */
export function treeStatusMiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  const own = readStatusMiB(pid, field);
  return own === null ? null : childPids(pid).reduce((sum, child) => sum + (readStatusMiB(child, field) ?? 0), own);
}

export function readStatusMiB(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? (Number(m[1]) * 1024) / MiB : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process and its running children have used, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number | null {
  const own = ownCpuSeconds(pid);
  return own === null ? null : childPids(pid).reduce((sum, child) => sum + (ownCpuSeconds(child) ?? 0), own);
}

function ownCpuSeconds(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU seconds the process's main thread and all its other threads (the database thread, V8's GC
 * and compiler helpers, libuv) and its child processes (the read process) have used, from
 * /proc/<pid>/task/<tid>/stat and /proc/<child>/stat. A plan is limited by
 * its main thread; these move far less with the machine's speed than the wall time does, so an
 * A/B on a noisy host can be read from them.
 */
export function threadCpuSeconds(pid: number): { main: number; others: number } | null {
  try {
    let main = 0;
    let others = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      } catch {
        continue; // the thread ended
      }
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
      if (tid === String(pid)) main = seconds;
      else others += seconds;
    }
    for (const child of childPids(pid)) others += ownCpuSeconds(child) ?? 0;
    return { main, others };
  } catch {
    return null;
  }
}

/** CPU seconds every core of the machine has been busy (not idle or iowait), from /proc/stat. */
export function systemBusySeconds(): number {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

export async function startServer(opts: ServerOptions): Promise<BenchServer> {
  const args = [...(opts.nodeArgs ?? [])];
  if (opts.profileDir) args.push("--cpu-prof", `--cpu-prof-dir=${opts.profileDir}`);
  // As npm start runs it (its node flags too), from the repository root.
  args.push(...npmStartNodeArgs(opts.root));
  const child = spawn(process.execPath, args, {
    cwd: opts.root,
    env: {
      ...process.env,
      PORT: "0",
      HOST: "127.0.0.1",
      LIBSQL_URL: `file:${opts.dbFile}`,
      API_TOKENS: JSON.stringify({ [BENCH_TOKEN]: ["*"] }),
      LOG_LEVEL: "silent",
      // 1M candidates are ~300 MB: far above the 50 MB default.
      MAX_UPLOAD_BYTES: String(4 * 1024 * MiB),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let exit: string | null = null;
  child.stderr!.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((ok) =>
    child.on("exit", (code, signal) => {
      exit = `server exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim().slice(-600)}` : ""}`;
      ok();
    }),
  );

  const url = await listeningUrl(child, exited, () => exit).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  const pid = child.pid!;
  const peaks: Record<string, number> = {};
  let current = "startup";
  const sample = () => {
    const rss = treeStatusMiB(pid, "VmRSS");
    if (rss !== null) peaks[current] = Math.max(peaks[current] ?? 0, rss);
  };
  const timer = setInterval(sample, 50);
  timer.unref();

  return {
    pid,
    url,
    token: BENCH_TOKEN,
    exitReason: () => exit,
    stderrTail: () => stderr,
    phase(name) {
      sample();
      current = name;
      sample();
    },
    phasePeaks: () => ({ ...peaks }),
    peakRss: () => treeStatusMiB(pid, "VmHWM"),
    async stop() {
      clearInterval(timer);
      if (exit) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Waits for `Import service listening on http://127.0.0.1:<port>` on stdout. */
function listeningUrl(child: ChildProcess, exited: Promise<void>, reason: () => string | null): Promise<string> {
  return new Promise((ok, fail) => {
    let out = "";
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        ok(m[1]!);
      }
    };
    child.stdout!.on("data", onData);
    void exited.then(() => fail(new Error(reason() ?? "server exited before listening")));
    setTimeout(() => fail(new Error(`server did not start within 60 s: ${out.slice(-500)}`)), 60_000).unref();
  });
}
