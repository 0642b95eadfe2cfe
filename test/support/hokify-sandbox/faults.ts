import type { Rng } from "./random.js";

/** Fault injection for the data route only; the token route always behaves, to keep tests focused. */
export interface SandboxFaults {
  /** Probability (0…1) that a data request is answered 429. */
  rate429?: number;
  /** Probability (0…1) that a data request is answered 500. */
  rate500?: number;
  /** Delay before every data answer. */
  slowMs?: number;
  /** The next N data requests are answered 429 (counted from start or the last setFaults). */
  throttleFirst?: number;
  /** The next N data requests (after any throttled ones) are answered 500. */
  failFirst?: number;
  /** The next N data requests (after those) are answered 200 with a body breaking the contract. */
  malformedFirst?: number;
  /** "shape": valid JSON, wrong fields (default). "not-json": an HTML error page. */
  malformedKind?: "shape" | "not-json";
  /** Retry-After on 429s, in seconds; null sends none. Default 1. */
  retryAfterSeconds?: number | null;
}

export type FaultDecision = "throttle" | "fail" | "malformed" | undefined;

export interface FaultPlan {
  readonly faults: Readonly<SandboxFaults>;
  /** Consumes one data request's worth of faults. */
  next(): FaultDecision;
}

export function createFaultPlan(faults: SandboxFaults, rng: Rng): FaultPlan {
  let throttle = faults.throttleFirst ?? 0;
  let fail = faults.failFirst ?? 0;
  let malformed = faults.malformedFirst ?? 0;
  return {
    faults: { ...faults },
    next() {
      if (throttle > 0) {
        throttle--;
        return "throttle";
      }
      if (fail > 0) {
        fail--;
        return "fail";
      }
      if (malformed > 0) {
        malformed--;
        return "malformed";
      }
      if (faults.rate429 && rng.chance(faults.rate429)) return "throttle";
      if (faults.rate500 && rng.chance(faults.rate500)) return "fail";
      return undefined;
    },
  };
}
