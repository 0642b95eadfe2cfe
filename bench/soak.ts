import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { instancesByIdentity } from "../src/projections/queries.js";
import { openDatabase } from "../src/runtime/open-database.js";
import { DefinitionBodySchema, ProfileBodySchema } from "../src/schemas/definitions.js";
import { commitEvents, streams, type PendingEvent } from "../src/services/commit.js";
import { createDefinition } from "../src/services/definitions.service.js";
import type { Deps } from "../src/services/deps.js";
import { createProfile } from "../src/services/profiles.service.js";
import { createLibsqlEventStore } from "../src/store/libsql-event-store.js";
import { baseFields, DEFINITION, PROFILE } from "./generate.js";

/**
 * `npx tsx bench/soak.ts`: does the process's memory stay flat over a long import? Not part of
 * `npm test`. Writes SOAK_ROWS rows (default 1,000,000) through the store's commit path in
 * 2000-row commits, as an apply does: per commit one identity lookup of its rows (decide's
 * read), then 75 % creates claiming their e-mail exclusively and 25 % updates of instances
 * created earlier. Prints the process's memory every SOAK_EVERY rows (default 100,000):
 *
 *   rss      VmRSS of /proc/self/status, the whole resident set
 *   anon     RssAnon: heap, V8, SQLite's page cache (64 MiB at most), native statements
 *   file     RssFile: mapped files, mostly the database through mmap (256 MiB at most)
 *   heap     V8 heapUsed
 *
 * and exits 1 when RssAnon grows by more than SOAK_MAX_GROWTH_MIB (default 64) from the second
 * report to the last: by then SQLite's page cache is full, so growth is memory not given back.
 */

const TOTAL = Number(process.env.SOAK_ROWS ?? 1_000_000);
const EVERY = Number(process.env.SOAK_EVERY ?? 100_000);
const MAX_GROWTH_MIB = Number(process.env.SOAK_MAX_GROWTH_MIB ?? 64);
const BATCH = 2000;
const UPDATE_SHARE = 0.25;

function memory() {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  const mib = (n: number) => Math.round(n / 1024);
  return { rss: mib(kib("VmRSS")), anon: mib(kib("RssAnon")), file: mib(kib("RssFile")), heap: Math.round(process.memoryUsage().heapUsed / 1048576) };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "soak-"));
  const dbFile = join(dir, "soak.db");
  const client = await openDatabase(`file:${dbFile}`);
  const store = createLibsqlEventStore(client);
  const deps: Deps = { store, now: () => new Date(), newId: uuidv7 };
  const actor = { Actor: "soak", RequestId: null, CorrelationId: null };
  try {
    const definition = await createDefinition(deps, actor, DefinitionBodySchema.parse(DEFINITION));
    if (!definition.ok) throw new Error(`definition: ${JSON.stringify(definition.errors)}`);
    const profile = await createProfile(deps, actor, DEFINITION.Key, ProfileBodySchema.parse(PROFILE));
    if (!profile.ok) throw new Error(`profile: ${JSON.stringify(profile.errors)}`);
    const entityId = definition.definition.Id;
    const meta = { ...actor, CausationId: uuidv7() };
    const opts = { identityFields: () => ["email"], exclusiveClaims: { entityId, fieldKey: "email" } };

    // Instance n has a time-ordered id made from n (as UUIDv7 ids are), so the script keeps no
    // list of ids: only a fixed array of stream versions, and its own memory stays flat.
    const idOf = (n: number) => `01900000-0000-7000-8000-${n.toString(16).padStart(12, "0")}`;
    const versions = new Uint16Array(TOTAL);
    let created = 0;
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);

    const start = memory();
    console.log(`soak: ${TOTAL.toLocaleString("en-US")} rows in ${BATCH}-row commits, Node ${process.version}, ${new Date().toISOString()}`);
    console.log(`${"rows".padStart(9)}  ${"rss MiB".padStart(8)}  ${"anon".padStart(6)}  ${"file".padStart(6)}  ${"heap".padStart(5)}  ${"rows/s".padStart(7)}  ${"db MiB".padStart(7)}`);
    const line = (rows: number, m: ReturnType<typeof memory>, rate: string) =>
      console.log(`${rows.toLocaleString("en-US").padStart(9)}  ${String(m.rss).padStart(8)}  ${String(m.anon).padStart(6)}  ${String(m.file).padStart(6)}  ${String(m.heap).padStart(5)}  ${rate.padStart(7)}  ${String(Math.round(statSync(dbFile).size / 1048576)).padStart(7)}`);
    line(0, start, "");

    const reports: ReturnType<typeof memory>[] = [];
    let done = 0;
    let intervalStart = performance.now();
    while (done < TOTAL) {
      const pending: PendingEvent[] = [];
      const emails: string[] = [];
      const n = Math.min(BATCH, TOTAL - done);
      const touched = new Set<number>();
      for (let i = 0; i < n; i++) {
        const update = created > BATCH && random() < UPDATE_SHARE;
        const at = update ? Math.floor(random() * (created - BATCH)) : -1;
        if (update && !touched.has(at)) {
          touched.add(at);
          const id = idOf(at);
          const version = ++versions[at]!;
          pending.push({
            streamId: streams.instance(id),
            streamVersion: version,
            event: { type: "InstanceUpdated", data: { InstanceId: id, EntityId: entityId, Changes: { status: "interview", score: version % 101 }, RowVersion: uuidv7(), RunId: meta.CausationId } },
          });
          emails.push(`candidate.${at}@example-mail.at`);
        } else {
          const id = idOf(created);
          const fields = baseFields(created);
          versions[created++] = 1;
          pending.push({ streamId: streams.instance(id), streamVersion: 1, event: { type: "InstanceCreated", data: { InstanceId: id, EntityId: entityId, Fields: fields, RowVersion: uuidv7(), RunId: meta.CausationId } } });
          emails.push(String(fields.email));
        }
      }
      // decide()'s read: which of these identities exist already.
      await instancesByIdentity(store, entityId, "email", emails);
      const outcome = await commitEvents(deps, pending, meta, opts);
      if (!outcome.ok) throw new Error(`commit at row ${done}: ${outcome.reason} ${outcome.detail}`);
      done += n;
      if (done % EVERY === 0 || done === TOTAL) {
        const m = memory();
        reports.push(m);
        const seconds = (performance.now() - intervalStart) / 1000;
        line(done, m, Math.round((done % EVERY || EVERY) / seconds).toLocaleString("en-US"));
        intervalStart = performance.now();
      }
    }

    const from = reports[Math.min(1, reports.length - 1)]!;
    const to = reports[reports.length - 1]!;
    const growth = to.anon - from.anon;
    const flat = growth <= MAX_GROWTH_MIB;
    console.log(`RssAnon ${from.anon} → ${to.anon} MiB from the 2nd report to the last (${growth >= 0 ? "+" : ""}${growth} MiB): ${flat ? "flat" : `GROWS (limit +${MAX_GROWTH_MIB} MiB)`}`);
    if (!flat) process.exitCode = 1;
  } finally {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
