import type { EventStore } from "./event-store.js";

export type LeaseOutcome = { ok: true } | { ok: false; holder: string; expiresAt: string };

/**
 * Leases kept in a table of the database, so they hold across processes and Worker isolates,
 * not just within one: `key` names what is leased, `holder` who holds it. A lease expires
 * `ttlMs` after it was taken or last renewed, so a holder that crashed cannot block for good.
 */
export function leaseTable(t: { table: string; key: string; holder: string }, ttlMs: number) {
  const until = (now: Date) => new Date(now.getTime() + ttlMs).toISOString();
  return {
    async acquire(store: EventStore, key: string | number, holder: string, now: Date): Promise<LeaseOutcome> {
      // One statement: take a free or expired lease, never a live one. ISO UTC strings compare as times.
      await store.write([
        {
          sql: `INSERT INTO ${t.table} (${t.key}, ${t.holder}, expires_at) VALUES (?, ?, ?)
                ON CONFLICT(${t.key}) DO UPDATE SET ${t.holder} = excluded.${t.holder}, expires_at = excluded.expires_at
                WHERE ${t.table}.expires_at <= ?`,
          args: [key, holder, until(now), now.toISOString()],
        },
      ]);
      const [row] = await store.query({ sql: `SELECT ${t.holder} AS holder, expires_at FROM ${t.table} WHERE ${t.key} = ?`, args: [key] });
      const held = row ? String(row.holder) : "";
      return held === holder ? { ok: true } : { ok: false, holder: held, expiresAt: row ? String(row.expires_at) : "" };
    },
    async renew(store: EventStore, key: string | number, holder: string, now: Date): Promise<void> {
      await store.write([{ sql: `UPDATE ${t.table} SET expires_at = ? WHERE ${t.key} = ? AND ${t.holder} = ?`, args: [until(now), key, holder] }]);
    },
    async release(store: EventStore, key: string | number, holder: string): Promise<void> {
      await store.write([{ sql: `DELETE FROM ${t.table} WHERE ${t.key} = ? AND ${t.holder} = ?`, args: [key, holder] }]);
    },
  };
}
