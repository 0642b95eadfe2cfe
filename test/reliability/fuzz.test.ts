import { describe, expect, it } from "vitest";
import { runFuzz } from "./fuzz-run.js";

/**
 * Hostile input (issue 7): 12,000 generated requests in-process through `app.request` of the
 * real app (real libSQL file, Hokify sandbox on 127.0.0.1), then 500 over real HTTP to the server
 * as a child process — malformed and truncated multipart, wrong content types, truncated, huge
 * and 100k-deep JSON, `__proto__`/`constructor` keys, wrong types in every field, absurd
 * SelectedRowIndexes, invalid UTF-8, oversize bodies, SQL and formula injection, bad tokens and
 * webhook signatures, on every route. No 5xx, no event written by a rejected request, every 4xx
 * the SPEC's envelope or problem details; afterwards the log's invariants and `npm run replay`
 * hold and the server still serves. FUZZ_SEED repeats a run; `npm run torture` runs more.
 */
describe("fuzzing every route with hostile requests", () => {
  it("12,000 in-process + 500 over HTTP: no 5xx, rejected requests write nothing, every 4xx is well-formed", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261123);
    const r = await runFuzz({ inProcessRuns: 12_000, httpRuns: 500, seed, log: (l) => process.env.RELIABILITY_VERBOSE && console.log(l) });
    const statuses = { ...r.inProcess.byStatus, ...r.http.byStatus };
    expect(Object.keys(statuses).filter((s) => Number(s) >= 500)).toEqual([]);
    expect(r.inProcess.rejected + r.http.rejected).toBeGreaterThanOrEqual(10_000);
    expect(r.http.requests).toBe(500);
    expect(r.unhandledErrors).toBe(0);
    // Every route family was exercised.
    expect(Object.keys(r.inProcess.byRoute).sort()).toEqual(
      ["audit.events", "audit.imports", "audit.run", "definitions.change", "definitions.create", "definitions.get", "export", "hokify.import", "hokify.report", "hokify.results", "hokify.webhook", "import.apply", "import.plan", "instances.get", "instances.history", "instances.list", "misc", "oversize", "profiles.create", "profiles.get"].sort(),
    );
  }, 170_000);
});
