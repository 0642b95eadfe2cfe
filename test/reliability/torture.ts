import { runConcurrency, type ConcurrencyReport } from "./concurrency.js";
import { runCrash, type CrashReport } from "./crash.js";
import { runFuzz, type FuzzReport } from "./fuzz-run.js";
import { assertCleanLoad, runLoad, type LoadReport } from "./load.js";

/**
 * `npm run torture`: the reliability tests of issue 7 at large sizes — crash safety with ≥ 20
 * SIGKILLs during a 50k-row apply, concurrent applies at higher counts on 1, 2 and 4 processes,
 * the fuzz with 60,000 + 3,000 requests, and 60 s of load. Prints a summary (and its JSON);
 * exits non-zero on any failure. Options: --quick (smaller sizes), --only crash|concurrency|fuzz|load,
 * --seed N. Seeds are printed so a failure can be repeated.
 */

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : null;
const seed = args.includes("--seed") ? Number(args[args.indexOf("--seed") + 1]) : Date.now() % 1_000_000;
const log = (line: string) => console.log(`  ${line}`);

type Step = { name: string; ok: boolean; ms: number; summary: string; error?: string; report?: unknown };
const steps: Step[] = [];

async function step<T>(name: string, run: () => Promise<T>, summarize: (r: T) => string) {
  if (only && only !== name) return;
  console.log(`\n== ${name} (seed ${seed})`);
  const started = performance.now();
  try {
    const report = await run();
    steps.push({ name, ok: true, ms: Math.round(performance.now() - started), summary: summarize(report), report });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    console.log(`  FAILED: ${error.slice(0, 4000)}`);
    steps.push({ name, ok: false, ms: Math.round(performance.now() - started), summary: "FAILED", error });
  }
  console.log(`  -> ${steps[steps.length - 1]!.summary}`);
}

await step<CrashReport>(
  "crash",
  () => runCrash({ rows: quick ? 10_000 : 50_000, kills: quick ? 6 : 24, killsPerRound: 4, seed, log }),
  (r) => `${r.kills} SIGKILLs survived over ${r.rounds} rounds of a ${r.rows}-row apply (${r.partialStates} left a round half-applied, ${r.completedBeforeKill} attempts finished first); ${r.replays} replays verified, ${r.events} events`,
);
await step<ConcurrencyReport[]>(
  "concurrency",
  async () => {
    const runs: ConcurrencyReport[] = [];
    for (const processes of [1, 2, 4]) runs.push(await runConcurrency({ applies: quick ? 16 : 64, identities: quick ? 120 : 400, rowsPerApply: quick ? 90 : 300, processes, seed: seed + processes, log }));
    return runs;
  },
  (rs) => rs.map((r) => `${r.applies} applies × ${r.rows / r.applies} rows on ${r.processes} process(es): ${r.created} created, ${r.updated} updated, ${r.skipped} skipped, ${r.conflicts} concurrency_conflict, ${r.retriedApplies} retried after losing a race, statuses ${JSON.stringify(r.statuses)}`).join("; "),
);
await step<FuzzReport>(
  "fuzz",
  () => runFuzz({ inProcessRuns: quick ? 12_000 : 60_000, httpRuns: quick ? 500 : 3_000, seed, log }),
  (r) =>
    `${r.inProcess.requests + r.http.requests} requests (${r.inProcess.requests} in-process, ${r.http.requests} over HTTP), ${r.inProcess.rejected + r.http.rejected} rejected with 4xx, 0 5xx; statuses ${JSON.stringify(mergeCounts(r.inProcess.byStatus, r.http.byStatus))}; ${r.oversizeResets} oversize resets`,
);
await step<LoadReport>(
  "load",
  async () => {
    const r = await runLoad({ durationS: quick ? 10 : 60, connections: 8, log });
    assertCleanLoad(r);
    return r;
  },
  (r) => `${r.requests} requests in ${r.durationS} s: ${r.requestsPerSecond} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms, ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx; replay of ${r.events} events in ${r.replayMs} ms`,
);

function mergeCounts(a: Record<string, number>, b: Record<string, number>) {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

console.log(`\n== torture summary (seed ${seed}${quick ? ", quick" : ""}, ${new Date().toISOString()})`);
for (const s of steps) console.log(`${s.ok ? "PASS" : "FAIL"} ${s.name.padEnd(12)} ${(s.ms / 1000).toFixed(1).padStart(7)} s  ${s.summary}`);
console.log(`\n${JSON.stringify({ seed, quick, steps: steps.map(({ name, ok, ms, report, error }) => ({ name, ok, ms, report, error })) })}`);
process.exit(steps.every((s) => s.ok) && steps.length > 0 ? 0 : 1);
