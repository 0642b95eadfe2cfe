import { issue } from "../domain/issues.js";
import { LogMovedError, replayProjections, type ReplayReport } from "../replay/replay.js";
import { leaseTable } from "../store/leases.js";
import type { Deps, Failure } from "./deps.js";

/** Renewed every quarter of it while the replay runs, so only a replay that crashed loses it. */
export const REPLAY_LEASE_TTL_MS = 2 * 60_000;
const REPLAY = "replay";

export type ReplayOutcome = { ok: true; report: ReplayReport } | Failure;

/**
 * One replay at a time per database (the admin route, `npm run replay`, any process or Worker
 * isolate): two at once would build and drop the same replay_* tables under each other. A second
 * one is refused with 409 while the first holds the lease. When the log moved on while it ran, a
 * swap is not done and a difference is not reported as one (it may be the commits made
 * meanwhile): 409, nothing changed.
 */
export async function runReplay(deps: Pick<Deps, "store" | "now" | "newId">, opts: { swap?: boolean; rebuild?: boolean; leaseTtlMs?: number } = {}): Promise<ReplayOutcome> {
  const ttl = opts.leaseTtlMs ?? REPLAY_LEASE_TTL_MS;
  const adminLeases = leaseTable({ table: "admin_leases", key: "name", holder: "holder" }, ttl);
  const holder = deps.newId();
  const lease = await adminLeases.acquire(deps.store, REPLAY, holder, deps.now());
  if (!lease.ok) return { ok: false, status: 409, errors: [issue("concurrency_conflict", `A replay is already running (its lease lasts until ${lease.expiresAt} unless renewed); try again when it has finished.`)] };
  const renewal = setInterval(() => void adminLeases.renew(deps.store, REPLAY, holder, deps.now()).catch(() => undefined), ttl / 4);
  try {
    return { ok: true, report: await replayProjections(deps.store, { swap: opts.swap, rebuild: opts.rebuild }) };
  } catch (error) {
    if (error instanceof LogMovedError) return { ok: false, status: 409, errors: [issue("concurrency_conflict", error.message)] };
    throw error;
  } finally {
    clearInterval(renewal);
    // A lease that cannot be released expires by itself; the replay's own outcome matters more.
    await adminLeases.release(deps.store, REPLAY, holder).catch(() => undefined);
  }
}
