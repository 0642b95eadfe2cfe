import { describe, expect, it } from "vitest";
import { runCrash } from "./crash.js";

/**
 * SIGKILL during a large apply (issue 7): the real server (`node --import tsx src/runtime/node.ts`)
 * on a libSQL file is killed at random moments while a 10k-row apply with an Idempotency-Key
 * runs, restarted, and after every kill the log's invariants and `npm run replay` must hold;
 * resending the same request completes it, and a further resend replays the stored answer.
 * `npm run torture` runs the same with more rows and kills.
 */
describe("crash safety (SIGKILL during apply)", () => {
  it("survives 6 kills during a 10k-row apply: nothing half-written, nothing duplicated, the resend completes it", async () => {
    const report = await runCrash({ rows: 10_000, kills: 6, killsPerRound: 3, seed: Number(process.env.CRASH_SEED ?? 7), log: (l) => process.env.RELIABILITY_VERBOSE && console.log(l) });
    expect(report.kills).toBeGreaterThanOrEqual(6);
    expect(report.replays).toBeGreaterThanOrEqual(7);
    // Kills land before, between and after batches; at least one left a round half-applied.
    expect(report.partialStates).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
