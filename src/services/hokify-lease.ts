import type { EventStore } from "../store/event-store.js";
import { leaseTable, type LeaseOutcome } from "../store/leases.js";

/**
 * One running Hokify import per scope (SPEC §7: runs of a scope never overlap). The lease lives in
 * the database, so it holds across processes and Worker isolates, not just within one.
 */

/** Renewed at every page, so only a run that stopped renewing (crashed) loses its lease. */
export const LEASE_TTL_MS = 10 * 60_000;

const scopeLeases = leaseTable({ table: "hokify_run_leases", key: "scope_id", holder: "run_id" }, LEASE_TTL_MS);

export type { LeaseOutcome };

export const acquireScopeLease = (store: EventStore, scopeId: number, runId: string, now: Date): Promise<LeaseOutcome> => scopeLeases.acquire(store, scopeId, runId, now);

export const renewScopeLease = (store: EventStore, scopeId: number, runId: string, now: Date): Promise<void> => scopeLeases.renew(store, scopeId, runId, now);

export const releaseScopeLease = (store: EventStore, scopeId: number, runId: string): Promise<void> => scopeLeases.release(store, scopeId, runId);
