import { describe, expect, it } from "vitest";
import { assertCleanLoad, runLoad } from "./load.js";

/**
 * Load smoke test (issue 7): 5 s of autocannon against the real server on 127.0.0.1 with mixed
 * plan/apply/read traffic; no error, timeout or non-2xx, and the log and `npm run replay` verify
 * afterwards. `npm run load` runs 60 s (`-- --duration N --connections N`).
 */
describe("load (5 s smoke)", () => {
  it("serves mixed plan/apply/read traffic without a single error and replays clean", async () => {
    const r = await runLoad({ durationS: 5, connections: 8, log: (l) => process.env.RELIABILITY_VERBOSE && console.log(l) });
    assertCleanLoad(r);
    expect(r.requests).toBeGreaterThan(100);
    expect(Object.keys(r.byKind).sort()).toEqual(["apply", "audit", "history", "instance", "list", "plan"]);
    expect(Object.keys(r.statusCodes)).toEqual(["200"]);
  }, 90_000);
});
