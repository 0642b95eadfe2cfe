import type { InValue, Row } from "@libsql/client";
import type { Stmt } from "../store/event-store.js";
import { sha256, toHex } from "../support/sha256.js";

export type Query = (stmt: Stmt) => Promise<Row[]>;

/** Rows per checksum page: one SQL statement and one SHA-256 of a few MB each. */
export const CHECKSUM_PAGE = 10_000;

/** Primary key of each projection: checksums read rows in key order, whatever their physical order. */
export const KEY_COLUMNS: Record<string, readonly string[]> = {
  entity_definitions: ["id"],
  profiles: ["id"],
  instances: ["id"],
  instance_keys: ["entity_id", "field_key", "value"],
  import_runs: ["id"],
};

export type Column = { name: string; type: string };

/** A table's columns in declaration order, so a checksum covers every column a migration adds. */
export async function tableColumns(query: Query, table: string): Promise<Column[]> {
  const rows = await query({ sql: "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", args: [table] });
  return rows.map((r) => ({ name: String(r.name), type: String(r.type).toUpperCase() }));
}

/**
 * The text a row is hashed as, built by SQL so no row crosses into JS. Integer columns are
 * quote()d; every other value is written as its type, its byte length and its bytes, so the text
 * is unambiguous without copying long JSON through quote(), and a value stored with another type
 * (a blob, a number) hashes differently from the text it looks like.
 */
export function rowText(columns: readonly Column[], alias: string): string {
  const parts = columns.map(({ name, type }) => {
    const c = `${alias}."${name}"`;
    return type.includes("INT") ? `quote(${c})` : `typeof(${c}), octet_length(${c}), ':', ${c}`;
  });
  return `concat(${parts.join(", ',', ")})`;
}

/**
 * Hashes pages of row text in order. Each page is one BLOB from SQL, hashed by Web Crypto while
 * the next page is read; the checksum is SHA-256 over the page digests in order.
 */
export class PageHasher {
  private readonly digests: Promise<Uint8Array>[] = [];
  rows = 0;

  add(body: unknown, rows: number): Promise<void> {
    this.rows += rows;
    // SQL returns the page as a BLOB (an ArrayBuffer); anything else is hashed as UTF-8 text.
    this.digests.push(sha256(body instanceof ArrayBuffer ? body : new TextEncoder().encode(String(body ?? ""))));
    // Keep at most a few pages in flight: memory stays bounded however big the table.
    const waitFor = this.digests[this.digests.length - 3];
    return waitFor ? waitFor.then(() => undefined) : Promise.resolve();
  }

  async checksum(): Promise<string> {
    const parts = await Promise.all(this.digests);
    if (parts.length === 0) return toHex(await sha256(""));
    const all = new Uint8Array(parts.length * 32);
    parts.forEach((d, i) => all.set(d, i * 32));
    return toHex(await sha256(all));
  }
}

/** One page of a checksum: the SQL for rows after `after` (null: from the start) in key order. */
export function pageSql(table: string, text: string, key: string, page: number, prefix: readonly string[] = []): (after: InValue | null) => { sql: string; args: InValue[] } {
  const fixed = prefix.map((k) => `"${k}" = ?`);
  return (after) => {
    const where = [...fixed, ...(after === null ? [] : [`"${key}" > ?`])];
    return {
      sql: `SELECT CAST(group_concat(${text}, x'1e') AS BLOB) AS body, count(*) AS n, max(t."${key}") AS last
            FROM (SELECT * FROM ${table} ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY "${key}" LIMIT ${page}) t`,
      args: after === null ? [] : [after],
    };
  };
}

/**
 * SHA-256 over every row (all columns, in key order). Pages are read by key (keyset), so each
 * page costs the same however deep into the table; a composite key is paged by its last column
 * within each group of the others.
 */
export async function tableChecksum(query: Query, table: string, key: readonly string[], columns?: readonly Column[]): Promise<{ rows: number; checksum: string }> {
  const text = rowText(columns ?? (await tableColumns(query, table)), "t");
  const hasher = new PageHasher();
  const last = key[key.length - 1]!;
  const groupKeys = key.slice(0, -1);
  const groups: InValue[][] = groupKeys.length
    ? (await query(`SELECT DISTINCT ${groupKeys.map((k) => `"${k}"`).join(", ")} FROM ${table} ORDER BY ${groupKeys.map((k) => `"${k}"`).join(", ")}`)).map((r) =>
        groupKeys.map((k) => r[k] as InValue),
      )
    : [[]];
  for (const group of groups) {
    const page = pageSql(table, text, last, CHECKSUM_PAGE, groupKeys);
    for (let after: InValue | null = null; ; ) {
      const stmt = page(after);
      const [row] = await query({ sql: stmt.sql, args: [...group, ...stmt.args] });
      const n = Number(row?.n ?? 0);
      if (n === 0) break;
      await hasher.add(row!.body, n);
      if (n < CHECKSUM_PAGE) break;
      after = row!.last as InValue;
    }
  }
  return { rows: hasher.rows, checksum: await hasher.checksum() };
}
