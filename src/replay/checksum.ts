import type { InValue, Row } from "@libsql/client";
import type { Stmt } from "../store/event-store.js";
import { sha256Hex } from "../support/sha256.js";

const PAGE = 5000;

/** Primary key of each projection: checksums read rows in key order, whatever their physical order. */
export const KEY_COLUMNS: Record<string, readonly string[]> = {
  entity_definitions: ["id"],
  profiles: ["id"],
  instances: ["id"],
  instance_keys: ["entity_id", "field_key", "value"],
  import_runs: ["id"],
};


/**
 * SHA-256 over every row (all columns, in key order), chained page by page to bound memory.
 * Pages are read by key (keyset), so each page costs the same however deep into the table.
 */
export async function tableChecksum(query: (stmt: Stmt) => Promise<Row[]>, table: string, key: readonly string[]): Promise<{ rows: number; checksum: string }> {
  let digest = "";
  let rows = 0;
  const keyList = key.join(", ");
  let after: InValue[] | null = null;
  for (;;) {
    const where: string = after ? `WHERE (${keyList}) > (${key.map(() => "?").join(", ")})` : "";
    const page: Row[] = await query({ sql: `SELECT * FROM ${table} ${where} ORDER BY ${keyList} LIMIT ${PAGE}`, args: after ?? [] });
    if (page.length === 0) break;
    rows += page.length;
    const text = page.map((r) => JSON.stringify(Array.from(r as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? v.toString() : v)))).join("\n");
    digest = await sha256Hex(digest + text);
    const last = page[page.length - 1]!;
    after = key.map((k) => last[k] as InValue);
    if (page.length < PAGE) break;
  }
  return { rows, checksum: digest || (await sha256Hex("")) };
}
