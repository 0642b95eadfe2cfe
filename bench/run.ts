import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRows, planPackage, seedRows, writePackage } from "./generate.js";
import { MEASURED, runPhase, setup, type PhaseContext, type PhaseName } from "./phases.js";
import { formatSummary, readProfile, summarizeProfile, type ProfileSummary } from "./profile-summary.js";
import { emmettReference, rawReference, type ReferenceResult } from "./references.js";
import { evaluateTargets, formatSize, formatTargets, machineInfo, summarizeSize, type RunResult, type SizeResult } from "./report.js";
import { processCpuSeconds, startServer, systemBusySeconds, threadCpuSeconds, type BenchServer } from "./server-process.js";

/**
 * `npm run bench`: plan, apply, re-apply, export and replay through the real HTTP server (a child
 * process on 127.0.0.1 with an embedded libSQL file), per package size, median of several runs,
 * beside a raw libSQL write limit and emmett-sqlite. Options (flag or environment):
 *
 *   --sizes=10000,100000      BENCH_SIZES         default 10000,100000,1000000; 1000000x1 gives one size its own run count
 *   --runs=3                  BENCH_RUNS          default 3 (a fresh database per run)
 *   --timeout=600             BENCH_TIMEOUT_S     seconds per request before the step counts as failed
 *   --emmett-rows=2000        BENCH_EMMETT_ROWS   rows of the package Emmett appends (it commits one stream at a time)
 *   --refs=0                  BENCH_REFS          0 skips the raw and Emmett references
 *   --profile                 BENCH_PROFILE=1     server under --cpu-prof; prints the top self-time functions per phase
 *   --out=bench/results/x.json  BENCH_OUT         default bench/results/latest.json (profile-latest.json with --profile)
 *                             BENCH_NODE_ARGS     extra node flags for the server, e.g. --max-old-space-size=8192
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function option(flag: string, env: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a === `--${flag}` || a.startsWith(`--${flag}=`));
  if (arg) return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : "1";
  return process.env[env] ?? fallback;
}

const config = {
  // "1000000x1": a size with its own number of runs.
  sizes: option("sizes", "BENCH_SIZES", "10000,100000,1000000")
    .split(",")
    .map((s) => s.trim().replace(/_/g, "").split("x"))
    .map(([size, runs]) => ({ size: Number(size), runs: runs ? Number(runs) : null }))
    .filter(({ size }) => Number.isSafeInteger(size) && size > 0),
  runs: Math.max(1, Number(option("runs", "BENCH_RUNS", "3"))),
  timeoutS: Number(option("timeout", "BENCH_TIMEOUT_S", "600")),
  emmettRows: Number(option("emmett-rows", "BENCH_EMMETT_ROWS", "2000")),
  refs: option("refs", "BENCH_REFS", "1") !== "0",
  profile: option("profile", "BENCH_PROFILE", "0") === "1",
  // Profiled runs are slower: they never overwrite latest.json unless told to.
  out: option("out", "BENCH_OUT", join(ROOT, `bench/results/${option("profile", "BENCH_PROFILE", "0") === "1" ? "profile-latest" : "latest"}.json`)),
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean),
};

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const log = (line: string) => console.log(line);

async function safely(what: string, run: () => Promise<ReferenceResult>): Promise<ReferenceResult> {
  try {
    return await run();
  } catch (error) {
    return { ok: false, reason: `${what}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

async function benchRun(size: number, run: number, files: { packageFile: string; seedFile: string }, work: string): Promise<RunResult> {
  const dir = mkdtempSync(join(work, `run-${size}-${run}-`));
  const profileDir = config.profile ? join(ROOT, "bench/results/profiles") : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const result: RunResult = { run, otherCpuCores: null, phases: {}, serverPeakRssMiB: null, phasePeakRssMiB: {} };
  const windows: Partial<Record<PhaseName, { from: number; to: number }>> = {};
  let server: BenchServer;
  try {
    server = await startServer({ root: ROOT, dbFile: join(dir, "bench.db"), profileDir, nodeArgs: config.nodeArgs });
  } catch (error) {
    result.aborted = `server start: ${error instanceof Error ? error.message : String(error)}`;
    log(`  run ${run} ${result.aborted}`);
    rmSync(dir, { recursive: true, force: true });
    return result;
  }
  const cpuAtStart = { system: systemBusySeconds(), own: process.cpuUsage(), server: processCpuSeconds(server.pid), at: performance.now() };
  try {
    await setup(server);
    const ctx: PhaseContext = { server, plan: planPackage(size), ...files, timeoutMs: config.timeoutS * 1000 };
    for (const name of ["seed", ...MEASURED] as PhaseName[]) {
      if (result.aborted) {
        result.phases[name] = { ok: false, reason: `not run: ${result.aborted.slice(0, 120)}` };
        continue;
      }
      server.phase(name);
      const from = nowUs();
      const cpuBefore = threadCpuSeconds(server.pid);
      const phase = await runPhase(name, ctx);
      const cpuAfter = threadCpuSeconds(server.pid);
      windows[name] = { from, to: nowUs() };
      if (cpuBefore && cpuAfter) (result.phaseServerCpuS ??= {})[name] = { main: cpuAfter.main - cpuBefore.main, others: cpuAfter.others - cpuBefore.others };
      result.phases[name] = phase;
      log(`  run ${run} ${name.padEnd(8)} ${phase.ok ? `${Math.round(phase.rate).toLocaleString("en-US")}/s in ${(phase.ms / 1000).toFixed(2)} s${phase.check === "ok" ? "" : ` (${phase.check})`}` : `FAILED: ${phase.reason.slice(0, 300)}`}`);
      // A timed-out request leaves the server busy, a crash leaves none, and without the seed nothing is comparable.
      if (!phase.ok && (server.exitReason() || /timed out/.test(phase.reason) || name === "seed")) result.aborted = `${name}: ${phase.reason}`;
      server.phase("idle");
    }
  } catch (error) {
    result.aborted = `setup: ${error instanceof Error ? error.message : String(error)}`;
    log(`  run ${run} ${result.aborted}`);
  } finally {
    const serverCpu = processCpuSeconds(server.pid);
    if (serverCpu !== null && cpuAtStart.server !== null) {
      const own = process.cpuUsage(cpuAtStart.own);
      const other = systemBusySeconds() - cpuAtStart.system - (own.user + own.system) / 1e6 - (serverCpu - cpuAtStart.server);
      result.otherCpuCores = Math.max(0, other / ((performance.now() - cpuAtStart.at) / 1000));
    }
    result.serverPeakRssMiB = server.peakRss();
    result.phasePeakRssMiB = server.phasePeaks();
    await server.stop();
  }
  if (profileDir) result.profile = profilePhases(profileDir, server.pid, windows, size, run);
  if (config.refs) {
    result.raw = await safely("raw", () => rawReference(dir, size));
    log(`  run ${run} raw      ${result.raw.ok ? `${Math.round(result.raw.rate).toLocaleString("en-US")}/s in ${(result.raw.ms / 1000).toFixed(2)} s` : `FAILED: ${result.raw.reason}`}`);
    result.emmett = await safely("emmett", () => quietly(() => emmettReference(dir, size, config.emmettRows)));
    log(`  run ${run} emmett   ${result.emmett.ok ? `${Math.round(result.emmett.rate).toLocaleString("en-US")}/s on ${result.emmett.rows} rows${result.emmett.retries ? `, ${result.emmett.retries} retried` : ""}` : `FAILED: ${result.emmett.reason}`}`);
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** emmett-sqlite console.logs every error it rolls back; its retries are counted instead. */
async function quietly<T>(run: () => Promise<T>): Promise<T> {
  const original = console.log;
  console.log = () => {};
  try {
    return await run();
  } finally {
    console.log = original;
  }
}

function profilePhases(dir: string, pid: number, windows: Partial<Record<PhaseName, { from: number; to: number }>>, size: number, run: number): RunResult["profile"] {
  // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (tsx's loader has its own).
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.0.`));
  if (!file) {
    log(`  run ${run}: no .cpuprofile of pid ${pid} in ${dir}`);
    return undefined;
  }
  const profile = readProfile(join(dir, file));
  const phases: Record<string, ProfileSummary> = {};
  for (const [name, window] of Object.entries(windows)) {
    phases[name] = summarizeProfile(profile, window, 10);
    log(formatSummary(`\n  profile ${size.toLocaleString("en-US")} run ${run} ${name}`, phases[name]!));
  }
  return { file: relative(ROOT, join(dir, file)), windows, phases };
}

async function main() {
  const machine = machineInfo(ROOT);
  log(`import-service bench: ${machine.cpu}, ${machine.cores} cores, ${machine.ramMiB} MiB, Node ${machine.node}, ${machine.date}`);
  log(`sizes ${config.sizes.map(({ size, runs }) => `${size} × ${runs ?? config.runs} run(s)`).join(", ")}; timeout ${config.timeoutS} s per request${config.profile ? "; CPU profile on" : ""}`);
  const work = mkdtempSync(join(tmpdir(), "import-bench-"));
  const sizes: SizeResult[] = [];
  try {
    for (const { size, runs: runCount } of config.sizes) {
      const started = performance.now();
      const packageFile = await writePackage(join(work, `package-${size}.json`), packageRows(size));
      const seedFile = await writePackage(join(work, `seed-${size}.json`), seedRows(size));
      log(`\n${size.toLocaleString("en-US")} rows: package ${(packageFile.bytes / 1e6).toFixed(1)} MB, seed ${seedFile.rows.toLocaleString("en-US")} rows, written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      const runs: RunResult[] = [];
      const total = runCount ?? config.runs;
      for (let run = 1; run <= total; run++) {
        const r = await benchRun(size, run, { packageFile: packageFile.path, seedFile: seedFile.path }, work);
        runs.push(r);
        if (r.aborted && run < total) {
          log(`  ${size.toLocaleString("en-US")}: remaining runs skipped after run ${run} stopped early`);
          break;
        }
      }
      const summary = summarizeSize(size, planPackage(size), packageFile.bytes, runs);
      sizes.push(summary);
      log(formatSize(summary, config.emmettRows));
      rmSync(packageFile.path, { force: true });
      rmSync(seedFile.path, { force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const targets = evaluateTargets(sizes);
  log(formatTargets(targets));
  mkdirSync(join(config.out, ".."), { recursive: true });
  writeFileSync(config.out, `${JSON.stringify({ machine, config: { ...config, out: relative(ROOT, config.out) }, sizes, targets }, null, 2)}\n`);
  log(`\nresults: ${relative(process.cwd(), config.out)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
