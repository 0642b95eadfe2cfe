import type { Row } from "@libsql/client";
import type { Stmt } from "../store/event-store.js";

const PAGE = 5000;

/** Primary-key order of each projection, so a checksum does not depend on physical row order. */
export const ORDER_BY: Record<string, string> = {
  entity_definitions: "id",
  profiles: "id",
  instances: "id",
  instance_keys: "entity_id, field_key, value",
  import_runs: "id",
};

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");

/** SHA-256 over every row (all columns, in key order), chained page by page to bound memory. */
export async function tableChecksum(query: (stmt: Stmt) => Promise<Row[]>, table: string, orderBy: string): Promise<{ rows: number; checksum: string }> {
  let digest = "";
  let rows = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await query({ sql: `SELECT * FROM ${table} ORDER BY ${orderBy} LIMIT ${PAGE} OFFSET ${offset}`, args: [] });
    if (page.length === 0) break;
    rows += page.length;
    const text = page.map((r) => JSON.stringify(Array.from(r as ArrayLike<unknown>, (v) => (typeof v === "bigint" ? v.toString() : v)))).join("\n");
    digest = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(digest + text)));
    if (page.length < PAGE) break;
  }
  return { rows, checksum: digest || hex(await crypto.subtle.digest("SHA-256", new Uint8Array())) };
}
