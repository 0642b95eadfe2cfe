import { createClient, type Client } from "@libsql/client";

/** A second connection to the server's libSQL file, to check what was really stored. */
export function openDb(dbFile: string): Client {
  return createClient({ url: `file:${dbFile}` });
}

export async function count(db: Client, sql: string, args: (string | number)[] = []): Promise<number> {
  const rs = await db.execute({ sql, args });
  return Number(rs.rows[0]?.[0] ?? 0);
}
