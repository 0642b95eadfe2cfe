import type { InValue, Row } from "@libsql/client";
import type { Stmt } from "../store/event-store.js";
import { sha256, toHex } from "../support/sha256.js";

export type Query = (stmt: Stmt) => Promise<Row[]>;

/** Rows per SQL statement when a table is read for its checksum. */
export const CHECKSUM_PAGE = 10_000;
/** The row text is hashed in chunks of this many bytes, whatever pages it was read in. */
const CHUNK = 4 << 20;
const RS = new Uint8Array([0x1e]);

/**
 * The order each projection's rows are hashed in: its primary key, except for the identity
 * index, which is hashed per instance (its `instance_keys_instance` index holds every column),
 * so it can be checked beside the instances page by page.
 */
export const CHECKSUM_ORDER: Record<string, readonly string[]> = {
  entity_definitions: ["id"],
  profiles: ["id"],
  instances: ["id"],
  instance_keys: ["instance_id", "entity_id", "field_key", "value"],
  import_runs: ["id"],
};

export type Column = { name: string; type: string; notNull: boolean };

/** A table's columns in declaration order, so a checksum covers every column a migration adds. */
export async function tableColumns(query: Query, table: string): Promise<Column[]> {
  const rows = await query({ sql: `SELECT name, type, "notnull" AS nn FROM pragma_table_info(?) ORDER BY cid`, args: [table] });
  return rows.map((r) => ({ name: String(r.name), type: String(r.type).toUpperCase(), notNull: Number(r.nn) === 1 }));
}

/** How rowText writes one value: NOT NULL text as it is, anything else quote()d. */
export const valueText = (column: Column, sql: string) => (column.notNull && column.type === "TEXT" ? sql : `quote(${sql})`);

/**
 * The text a row is hashed as, built by SQL so no row crosses into JS: its values separated by
 * US (0x1f), rows ended by RS (0x1e). NOT NULL text columns are written as they are (JSON and
 * ids never hold those control characters); any other column is quote()d, so NULL, numbers and
 * blobs stay distinct from text.
 *
 * An instance starts with its id, entity, fields and row version written as its InstanceCreated
 * event writes them (`{"InstanceId":"…","EntityId":"…","Fields":{…},"RowVersion":"…"`), so the
 * replay can compare a row with its event without building a second text.
 */
export function rowText(columns: readonly Column[], alias: string, projection?: string): string {
  const instance = projection === "instances" ? instanceText(columns, alias) : null;
  if (instance) return `concat(${instance.prefix}, x'1f', ${instance.rest((c) => `${alias}."${c.name}"`)})`;
  return `concat_ws(x'1f', ${columns.map((c) => valueText(c, `${alias}."${c.name}"`)).join(", ")})`;
}

const EVENT_MEMBERS = ["id", "entity_id", "fields", "row_version"];

/** The event-shaped start of an instance's row text and a builder for the rest (null: columns unknown). */
export function instanceText(columns: readonly Column[], alias: string): { prefix: string; rest: (value: (c: Column) => string) => string; restColumns: Column[] } | null {
  if (!EVENT_MEMBERS.every((m) => columns.some((c) => c.name === m && c.notNull && c.type === "TEXT"))) return null;
  const a = (c: string) => `${alias}."${c}"`;
  const restColumns = columns.filter((c) => !EVENT_MEMBERS.includes(c.name));
  return {
    prefix: `concat('{"InstanceId":', json_quote(${a("id")}), ',"EntityId":', json_quote(${a("entity_id")}), ',"Fields":', ${a("fields")}, ',"RowVersion":', json_quote(${a("row_version")}))`,
    rest: (value) => `concat_ws(x'1f', ${restColumns.map((c) => valueText(c, value(c))).join(", ")})`,
    restColumns,
  };
}

/** SQL for the row text of a page: one BLOB, rows in order separated by RS (the hasher ends the page with one). */
export const pageText = (rowTextSql: string) => `CAST(group_concat(${rowTextSql}, x'1e') AS BLOB)`;

/**
 * SHA-256 over a stream of row text: each 4 MiB chunk is hashed by Web Crypto (off the main
 * thread on Node) while the next page is read, and the checksum is SHA-256 over the chunk
 * digests. Pages may be any size: the chunks, and so the checksum, depend only on the bytes.
 */
export class StreamHasher {
  private readonly digests: Promise<Uint8Array>[] = [];
  private readonly buffer = new Uint8Array(CHUNK);
  private filled = 0;
  rows = 0;
  bytes = 0;

  /**
   * Adds a page of `rows` rows (a BLOB or text from SQL, rows separated by RS) and ends its last
   * row with RS; resolves when memory allows the next page.
   */
  add(body: unknown, rows: number): Promise<void> {
    this.rows += rows;
    if (body === null || body === undefined || rows === 0) return Promise.resolve();
    this.append(body instanceof ArrayBuffer ? new Uint8Array(body) : new TextEncoder().encode(String(body)));
    this.append(RS);
    // At most a few chunks in flight: memory stays bounded however big the table.
    const waitFor = this.digests[this.digests.length - 3];
    return waitFor ? waitFor.then(() => undefined) : Promise.resolve();
  }

  private append(data: Uint8Array<ArrayBuffer>) {
    this.bytes += data.length;
    if (this.filled > 0) {
      const n = Math.min(CHUNK - this.filled, data.length);
      this.buffer.set(data.subarray(0, n), this.filled);
      this.filled += n;
      data = data.subarray(n);
      if (this.filled === CHUNK) this.flush();
    }
    // Whole chunks are hashed straight from the page: digest() copies its input when it is called
    // (Web Crypto: "a copy of the bytes held by the data parameter"), so nothing is copied here.
    while (data.length >= CHUNK) {
      this.digests.push(sha256(data.subarray(0, CHUNK)));
      data = data.subarray(CHUNK);
    }
    if (data.length > 0) {
      this.buffer.set(data, 0);
      this.filled = data.length;
    }
  }

  /** Hashes the started chunk. Its buffer is reused at once: digest() has taken a copy. */
  private flush() {
    this.digests.push(sha256(this.buffer.subarray(0, this.filled)));
    this.filled = 0;
  }

  async checksum(): Promise<string> {
    if (this.filled > 0) this.flush();
    const parts = await Promise.all(this.digests);
    const all = new Uint8Array(parts.length * 32);
    parts.forEach((d, i) => all.set(d, i * 32));
    return toHex(await sha256(all));
  }
}

/** A page of a table by key range (lower bound exclusive, upper bound inclusive, null: open). */
export type PageRange = { after: InValue | null; upTo: InValue | null };

/**
 * Pages of a table in checksum order, each the rows whose first order column lies in a range
 * (lower bound exclusive, null: from the start; upper bound inclusive, null: to the end).
 * Ranges cover whole groups of that column, so a page never splits rows that share it.
 */
export async function* pageRanges(query: Query, table: string, column: string, page = CHECKSUM_PAGE): AsyncGenerator<PageRange> {
  for (let after: InValue | null = null; ; ) {
    const [row] = await query({
      sql: `SELECT count(*) AS n, max(c) AS upTo FROM (SELECT "${column}" AS c FROM ${table} ${after === null ? "" : `WHERE "${column}" > ?`} ORDER BY "${column}" LIMIT ${page})`,
      args: after === null ? [] : [after],
    });
    const n = Number(row?.n ?? 0);
    const upTo = (row?.upTo ?? null) as InValue | null;
    if (n < page || upTo === null) {
      yield { after, upTo: null };
      return;
    }
    yield { after, upTo };
    after = upTo;
  }
}

/** The WHERE clause (and its arguments) of a page range on `column`. */
export function rangeWhere(column: string, range: PageRange): { sql: string; args: InValue[] } {
  const where: string[] = [];
  const args: InValue[] = [];
  if (range.after !== null) (where.push(`${column} > ?`), args.push(range.after));
  if (range.upTo !== null) (where.push(`${column} <= ?`), args.push(range.upTo));
  return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", args };
}

/** SHA-256 over every row (all columns, in checksum order), read page by page by key range. */
export async function tableChecksum(query: Query, table: string, order: readonly string[], columns?: readonly Column[], projection?: string): Promise<{ rows: number; checksum: string }> {
  const text = rowText(columns ?? (await tableColumns(query, table)), "t", projection);
  const hasher = new StreamHasher();
  const orderBy = order.map((c) => `"${c}"`).join(", ");
  for await (const range of pageRanges(query, table, order[0]!)) {
    const where = rangeWhere(`"${order[0]}"`, range);
    const [row] = await query({ sql: `SELECT ${pageText(text)} AS body, count(*) AS n FROM (SELECT * FROM ${table} ${where.sql} ORDER BY ${orderBy}) t`, args: where.args });
    await hasher.add(row?.body, Number(row?.n ?? 0));
  }
  return { rows: hasher.rows, checksum: await hasher.checksum() };
}
