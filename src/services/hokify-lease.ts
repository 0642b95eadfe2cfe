import type { EventStore } from "../store/event-store.js";

/**
 * One running Hokify import per scope (SPEC §7: runs of a scope never overlap). The lease lives in
 * the database, so it holds across processes and Worker isolates, not just within one.
 */

/** Renewed at every page, so only a run that stopped renewing (crashed) loses its lease. */
export const LEASE_TTL_MS = 10 * 60_000;

export type LeaseOutcome = { ok: true } | { ok: false; holder: string };

export async function acquireScopeLease(store: EventStore, scopeId: number, runId: string, now: Date): Promise<LeaseOutcome> {
  const expires = new Date(now.getTime() + LEASE_TTL_MS).toISOString();
  // One statement: take a free or expired lease, never a live one. ISO UTC strings compare as times.
  await store.write([
    {
      sql: `INSERT INTO hokify_run_leases (scope_id, run_id, expires_at) VALUES (?, ?, ?)
            ON CONFLICT(scope_id) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at
            WHERE hokify_run_leases.expires_at <= ?`,
      args: [scopeId, runId, expires, now.toISOString()],
    },
  ]);
  const rows = await store.query({ sql: "SELECT run_id FROM hokify_run_leases WHERE scope_id = ?", args: [scopeId] });
  const holder = rows[0] ? String(rows[0].run_id) : "";
  return holder === runId ? { ok: true } : { ok: false, holder };
}

export async function renewScopeLease(store: EventStore, scopeId: number, runId: string, now: Date): Promise<void> {
  await store.write([
    { sql: "UPDATE hokify_run_leases SET expires_at = ? WHERE scope_id = ? AND run_id = ?", args: [new Date(now.getTime() + LEASE_TTL_MS).toISOString(), scopeId, runId] },
  ]);
}

export async function releaseScopeLease(store: EventStore, scopeId: number, runId: string): Promise<void> {
  await store.write([{ sql: "DELETE FROM hokify_run_leases WHERE scope_id = ? AND run_id = ?", args: [scopeId, runId] }]);
}
