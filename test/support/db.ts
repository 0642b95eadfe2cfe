import { createClient, type Client } from "@libsql/client";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/runtime/open-database.js";
import { besideConnection } from "../../src/runtime/split-client.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { EventStore } from "../../src/store/event-store.js";
import { createDefinition } from "../../src/services/definitions.service.js";
import { createProfile } from "../../src/services/profiles.service.js";
import type { Actor, Deps } from "../../src/services/deps.js";
import { BY_EMAIL, CANDIDATE } from "./fixtures.js";

/** A second connection to the server's libSQL file, to check what was really stored. */
export function openDb(dbFile: string): Client {
  return createClient({ url: `file:${dbFile}` });
}

export async function count(db: Client, sql: string, args: (string | number)[] = []): Promise<number> {
  const rs = await db.execute({ sql, args });
  return Number(rs.rows[0]?.[0] ?? 0);
}

/**
 * A fresh database file opened as the Node server opens it (database thread, reads beside it),
 * holding the Candidate entity and its by_email profile. `close` also removes the file.
 */
export async function candidateStore(prefix: string, deps: (store: EventStore) => Deps, actor: Actor): Promise<{ store: EventStore; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const client = await openDatabase(`file:${join(dir, "db.sqlite")}`, undefined, { thread: true });
  const store = createLibsqlEventStore(client, { beside: besideConnection(client) ?? undefined });
  if (!(await createDefinition(deps(store), actor, CANDIDATE as never)).ok || !(await createProfile(deps(store), actor, CANDIDATE.Key, BY_EMAIL as never)).ok) throw new Error("seeding failed");
  return {
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What an import leaves behind, to compare two databases that imported the same packages: instances, identity index and the whole log. */
export const importedState = async (store: EventStore) => ({
  instances: await store.query("SELECT id, fields, version, row_version FROM instances ORDER BY id"),
  keys: await store.query("SELECT * FROM instance_keys ORDER BY entity_id, field_key, value"),
  events: await store.query("SELECT event_id, stream_id, stream_version, type, data FROM events ORDER BY position"),
});
