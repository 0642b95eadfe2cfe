import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import type { PackagePlan } from "./generate.js";
import { MEASURED, type PhaseName, type PhaseResult } from "./phases.js";
import type { ProfileSummary } from "./profile-summary.js";
import type { ReferenceResult } from "./references.js";

/** Medians over runs, the stdout table, the issue's targets and the JSON document. */

export type RunResult = {
  run: number;
  /** Cores' worth of CPU used by processes other than the bench and its server during the server phases. */
  otherCpuCores: number | null;
  phases: Partial<Record<PhaseName, PhaseResult>>;
  /** VmHWM of the server process at the end of the run. */
  serverPeakRssMiB: number | null;
  /** Peak VmRSS sampled every 50 ms, per phase. */
  phasePeakRssMiB: Record<string, number>;
  /** CPU seconds of the server's main thread and of its other threads, per phase. */
  phaseServerCpuS?: Record<string, { main: number; others: number }>;
  raw?: ReferenceResult;
  emmett?: ReferenceResult;
  /** Set when a timeout or a crash stopped the run early. */
  aborted?: string;
  /** `windows`: each phase's span on the profile's clock (µs), for profile-summary.ts --from/--to. */
  profile?: { file: string; windows: Partial<Record<string, { from: number; to: number }>>; phases: Record<string, ProfileSummary> };
};

export type Stat = { median: number; min: number; max: number; ok: number; of: number; failures: string[] };
export type SizeResult = {
  size: number;
  plan: PackagePlan;
  packageBytes: number;
  runs: RunResult[];
  rates: Partial<Record<PhaseName | "raw" | "emmett", Stat>>;
  medianMs: Partial<Record<PhaseName, number>>;
  serverPeakRssMiB: Stat | null;
  phasePeakRssMiB: Record<string, number>;
  /** Medians of the runs' phaseServerCpuS. */
  phaseServerCpuS: Record<string, { main: number; others: number }>;
  ratios: { rawOverApply: number | null; applyOverEmmett: number | null };
};

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function statOf(values: (number | null)[], failures: string[], of: number): Stat | undefined {
  const ok = values.filter((v): v is number => v !== null);
  if (!ok.length && !failures.length) return undefined;
  return { median: ok.length ? median(ok) : NaN, min: ok.length ? Math.min(...ok) : NaN, max: ok.length ? Math.max(...ok) : NaN, ok: ok.length, of, failures: [...new Set(failures)] };
}

export function summarizeSize(size: number, plan: PackagePlan, packageBytes: number, runs: RunResult[]): SizeResult {
  const rates: SizeResult["rates"] = {};
  const medianMs: SizeResult["medianMs"] = {};
  for (const name of ["seed", ...MEASURED] as PhaseName[]) {
    const results = runs.map((r) => r.phases[name]).filter((p): p is PhaseResult => !!p);
    const stat = statOf(results.map((p) => (p.ok ? p.rate : null)), results.flatMap((p) => (p.ok ? [] : [p.reason])), results.length);
    if (stat) rates[name] = stat;
    const ms = results.flatMap((p) => (p.ok ? [p.ms] : []));
    if (ms.length) medianMs[name] = median(ms);
  }
  for (const ref of ["raw", "emmett"] as const) {
    const results = runs.map((r) => r[ref]).filter((p): p is ReferenceResult => !!p);
    const stat = statOf(results.map((p) => (p.ok ? p.rate : null)), results.flatMap((p) => (p.ok ? [] : [p.reason])), results.length);
    if (stat) rates[ref] = stat;
  }
  const peaks = runs.map((r) => r.serverPeakRssMiB).filter((v): v is number => v !== null);
  const phasePeakRssMiB: Record<string, number> = {};
  for (const name of new Set(runs.flatMap((r) => Object.keys(r.phasePeakRssMiB))))
    phasePeakRssMiB[name] = median(runs.flatMap((r) => (r.phasePeakRssMiB[name] === undefined ? [] : [r.phasePeakRssMiB[name]!])));
  const phaseServerCpuS: SizeResult["phaseServerCpuS"] = {};
  for (const name of new Set(runs.flatMap((r) => Object.keys(r.phaseServerCpuS ?? {})))) {
    const cpu = runs.flatMap((r) => (r.phaseServerCpuS?.[name] ? [r.phaseServerCpuS[name]] : []));
    phaseServerCpuS[name] = { main: median(cpu.map((c) => c.main)), others: median(cpu.map((c) => c.others)) };
  }
  const apply = rates.apply?.ok ? rates.apply.median : null;
  return {
    size,
    plan,
    packageBytes,
    runs,
    rates,
    medianMs,
    serverPeakRssMiB: peaks.length ? (statOf(peaks, [], runs.length) ?? null) : null,
    phasePeakRssMiB,
    phaseServerCpuS,
    ratios: {
      rawOverApply: apply && rates.raw?.ok ? rates.raw.median / apply : null,
      applyOverEmmett: apply && rates.emmett?.ok ? apply / rates.emmett.median : null,
    },
  };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
const pad = (s: string, n: number) => s.padStart(n);
const LABELS: Record<string, string> = {
  seed: "seed apply (setup)",
  plan: "plan",
  apply: "apply (all rows)",
  reapply: "re-apply (all Skip)",
  export: "export (stream)",
  replay: "replay (events/s)",
  raw: "raw libSQL limit",
  emmett: "emmett-sqlite",
};

export function formatSize(r: SizeResult, emmettRows: number): string {
  const mb = (r.packageBytes / 1e6).toFixed(1);
  const out = [
    ``,
    `== ${int(r.size)} rows: package ${mb} MB; seed ${int(r.plan.existing)} rows; mix ${int(r.plan.counts.new)} new / ${int(r.plan.counts.changed)} changed / ${int(r.plan.counts.unchanged)} unchanged / ${int(r.plan.counts.error)} error; ${r.runs.length} run(s) ==`,
    `${"figure".padEnd(22)}${pad("median/s", 12)}${pad("min/s", 12)}${pad("max/s", 12)}${pad("median s", 10)}${pad("ok", 6)}${pad("RSS MiB", 9)}${pad("CPU main", 10)}${pad("others", 8)}  check`,
  ];
  for (const [name, stat] of Object.entries(r.rates)) {
    const ms = r.medianMs[name as PhaseName];
    const rss = r.phasePeakRssMiB[name];
    const cpu = r.phaseServerCpuS[name];
    const checks = r.runs.map((run) => run.phases[name as PhaseName]).filter((p) => p && p.ok && p.check !== "ok");
    let note = checks.length ? (checks[0] as { check: string }).check : stat.ok ? "ok" : "";
    if (stat.failures.length) note = stat.failures[0]!.startsWith("not run") ? stat.failures[0]!.slice(0, 160) : `FAILED: ${stat.failures[0]!.slice(0, 160)}`;
    if (name === "emmett" && stat.ok) note = `sample of ${int(Math.min(emmettRows, r.size))} rows`;
    const label = LABELS[name] ?? name;
    out.push(
      `${label.padEnd(22)}${pad(int(stat.median), 12)}${pad(int(stat.min), 12)}${pad(int(stat.max), 12)}${pad(ms === undefined ? "" : (ms / 1000).toFixed(2), 10)}${pad(`${stat.ok}/${stat.of}`, 6)}${pad(rss === undefined ? "" : int(rss), 9)}${pad(cpu ? cpu.main.toFixed(2) : "", 10)}${pad(cpu ? cpu.others.toFixed(2) : "", 8)}  ${note}`,
    );
  }
  const peak = r.serverPeakRssMiB;
  out.push(`server peak RSS (VmHWM, with its read process): ${peak ? `median ${int(peak.median)} MiB, max ${int(peak.max)} MiB` : "–"}`);
  const { rawOverApply, applyOverEmmett } = r.ratios;
  out.push(
    `apply / raw limit: ${rawOverApply ? `${(1 / rawOverApply).toFixed(2)} (raw is ${rawOverApply.toFixed(2)}× our apply)` : "–"};  apply / emmett: ${applyOverEmmett ? `${applyOverEmmett.toFixed(1)}×` : "–"}`,
  );
  for (const run of r.runs) if (run.aborted) out.push(`run ${run.run} stopped early: ${run.aborted.slice(0, 300)}`);
  const busy = r.runs.filter((run) => (run.otherCpuCores ?? 0) > 0.2);
  if (busy.length) out.push(`note: other processes used ${busy.map((run) => `${run.otherCpuCores!.toFixed(2)} cores in run ${run.run}`).join(", ")} of the ${cpus().length} while the server ran`);
  return out.join("\n");
}

export type Target = { size: number; name: string; goal: string; value: string; status: "PASS" | "MISS" | "n/a" };

/** The issue's targets: 100k throughput and ratios, 1M memory. */
export function evaluateTargets(sizes: SizeResult[]): Target[] {
  const at = (n: number) => sizes.find((s) => s.size === n);
  const targets: Target[] = [];
  const rateTarget = (n: number, phase: PhaseName, goal: number, unit: string) => {
    const s = at(n)?.rates[phase];
    const ok = s && s.ok > 0;
    targets.push({ size: n, name: `${phase} ${unit}`, goal: `≥ ${int(goal)}`, value: ok ? int(s.median) : s ? "failed" : "not run", status: !s ? "n/a" : ok && s.median >= goal ? "PASS" : "MISS" });
  };
  rateTarget(100_000, "apply", 50_000, "rows/s");
  rateTarget(100_000, "plan", 150_000, "rows/s");
  rateTarget(100_000, "replay", 200_000, "events/s");
  const mid = at(100_000);
  const ratioTarget = (name: string, goal: string, ref: "raw" | "emmett", value: number | null | undefined, pass: (v: number) => boolean) => {
    // Without the reference (BENCH_REFS=0, or it failed) there is nothing to compare with.
    const measured = !!mid?.rates[ref]?.ok && !!mid?.rates.apply?.ok;
    targets.push({
      size: 100_000,
      name,
      goal,
      value: !mid ? "not run" : !mid.rates[ref] ? "reference not run" : value ? `${value.toFixed(2)}×` : "–",
      status: !mid || !mid.rates[ref] ? "n/a" : measured && value && pass(value) ? "PASS" : "MISS",
    });
  };
  ratioTarget("raw limit / apply", "≤ 3×", "raw", mid?.ratios.rawOverApply, (v) => v <= 3);
  ratioTarget("apply / emmett", "≥ 3×", "emmett", mid?.ratios.applyOverEmmett, (v) => v >= 3);
  const big = at(1_000_000);
  const peak = big?.serverPeakRssMiB;
  const complete = big ? big.runs.some((run) => !run.aborted && MEASURED.every((p) => run.phases[p]?.ok)) : false;
  targets.push({
    size: 1_000_000,
    name: "server peak RSS",
    goal: "< 1 GiB (1024 MiB)",
    value: peak ? `${int(peak.max)} MiB${complete ? "" : " (run incomplete)"}` : big ? "–" : "not run",
    status: !big ? "n/a" : peak && peak.max < 1024 && complete ? "PASS" : "MISS",
  });
  return targets;
}

export function formatTargets(targets: Target[]): string {
  const lines = ["", "== targets (issue 6) =="];
  for (const t of targets) lines.push(`${t.status.padEnd(5)} ${int(t.size).padStart(9)}  ${t.name.padEnd(20)} ${t.goal.padEnd(20)} measured ${t.value}`);
  return lines.join("\n");
}

export function machineInfo(root: string) {
  let commit: string | null = null;
  let changedFiles: number | null = null;
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    // --no-optional-locks: read the work tree's state without refreshing (writing) the index.
    changedFiles = execFileSync("git", ["--no-optional-locks", "status", "--porcelain"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean).length;
  } catch {
    /* not a git checkout */
  }
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    ramMiB: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    kernel: release(),
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    date: new Date().toISOString(),
    commit,
    /** Uncommitted files in the work tree when the bench started: the figures measure that tree. */
    changedFiles,
  };
}
