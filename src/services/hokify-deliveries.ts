import type { EventStore } from "../store/event-store.js";

/**
 * Remembers accepted webhook deliveries in the database, so Hokify's retries of a delivery are
 * recognised after a restart too. Returns the run id of the first acceptance of `deliveryId`:
 * `runId` itself when this call was the first.
 */
export async function claimDelivery(store: EventStore, d: { deliveryId: string; runId: string; scopeId: number; event: string; receivedAt: string }): Promise<string> {
  // INSERT OR IGNORE then read back: two concurrent twins agree on whichever insert won.
  await store.write([
    {
      sql: "INSERT OR IGNORE INTO hokify_webhook_deliveries (delivery_id, run_id, scope_id, event, received_at) VALUES (?, ?, ?, ?, ?)",
      args: [d.deliveryId, d.runId, d.scopeId, d.event, d.receivedAt],
    },
  ]);
  const rows = await store.query({ sql: "SELECT run_id FROM hokify_webhook_deliveries WHERE delivery_id = ?", args: [d.deliveryId] });
  return rows[0] ? String(rows[0].run_id) : d.runId;
}
