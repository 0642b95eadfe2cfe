import type { Row } from "@libsql/client";
import { normalizeIdentity } from "../domain/keys.js";
import type { Stmt } from "../store/event-store.js";
import { claimInserts } from "./project.js";
import { abortBatchIf } from "../store/batch-guard.js";

const PAGE = 1000;

/**
 * When a profile makes a field an identity field for the first time, the identity index must
 * learn the values the entity's instances already hold. Live commits and replay both use this.
 */
export async function identityBackfill(
  query: (stmt: Stmt) => Promise<Row[]>,
  entityId: string,
  fieldKey: string,
  tables: { instances: string; instanceKeys: string } = { instances: "instances", instanceKeys: "instance_keys" },
): Promise<Stmt[]> {
  const claims: string[] = [];
  for (let after = ""; ; ) {
    const page = await query({
      sql: `SELECT id, fields FROM ${tables.instances} WHERE entity_id = ? AND deleted = 0 AND id > ? ORDER BY id LIMIT ${PAGE}`,
      args: [entityId, after],
    });
    for (const row of page) {
      const value = normalizeIdentity((JSON.parse(String(row.fields)) as Record<string, unknown>)[fieldKey]);
      if (value !== null) claims.push(entityId, fieldKey, value, String(row.id));
    }
    if (page.length < PAGE) break;
    after = String(page[page.length - 1]!.id);
  }
  return claimInserts(claims, "INSERT OR IGNORE", tables.instanceKeys);
}

/** The instance events of the entity after position `seen` exist (SQL; arguments: seen, entity id). */
const INSTANCES_CHANGED = `EXISTS (SELECT 1 FROM events WHERE type IN ('InstanceCreated', 'InstanceUpdated', 'InstanceDeleted') AND position > ? AND data ->> '$.EntityId' = ?)`;

/**
 * Aborts the commit of a backfill read from the instances as they were at position `seen` when one
 * of the entity's instances was created, changed or deleted since: its claims would be missing or
 * stale. The caller reads the backfill again.
 */
export const backfillGuard = (entityId: string, seen: number): Stmt => abortBatchIf(INSTANCES_CHANGED, [seen, entityId]);

export async function instancesChangedSince(query: (stmt: Stmt) => Promise<Row[]>, entityId: string, seen: number): Promise<boolean> {
  const [row] = await query({ sql: `SELECT ${INSTANCES_CHANGED} AS changed`, args: [seen, entityId] });
  return Number(row?.changed ?? 0) === 1;
}
