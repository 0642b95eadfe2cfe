import { createClient } from "@libsql/client";
import { ROWS_PER_COMMIT } from "../../src/services/apply.service.js";
import { CANDIDATE, BY_EMAIL, paths, pkg } from "../support/fixtures.js";
import { client, file } from "../support/server.js";
import { TOKEN, assertLog, assertReplay, rng, spawnServer, tempDb, type ServerProcess } from "./harness.js";

/**
 * Concurrent applies of overlapping packages: every package touches many of the same identities
 * with its own values, all sent at once (to one server process, or spread over several processes
 * on the same libSQL file). Afterwards every apply row must be accounted for, each instance must
 * equal the fold of its history, and the last committed event's values must be the ones stored.
 */

export type ConcurrencyOptions = {
  applies: number;
  identities: number;
  /** Identities per package (a window over all of them, so packages overlap). */
  rowsPerApply: number;
  /** Server processes on the same file; applies are spread round-robin. */
  processes: number;
  seed?: number;
  log?: (line: string) => void;
};

export type ConcurrencyReport = {
  applies: number;
  processes: number;
  rows: number;
  statuses: Record<string, number>;
  created: number;
  updated: number;
  skipped: number;
  conflicts: number;
  /** Applies whose batch lost a race (a stream version or identity taken meanwhile) and was decided again in smaller parts. */
  retriedApplies: number;
  instances: number;
  events: number;
  durationMs: number;
  seed: number;
};

type ApplyRow = { RowIndex: number; IdentityValue: string | null; InstanceId: string | null; RowVersion: string | null; ChangedFieldKeys: string[]; Action: number; Status: number; Errors: { Code: string }[] };
type HistoryEvent = { Type: string; StreamVersion: number; Position: number; Data: { Fields?: Record<string, unknown>; Changes?: Record<string, unknown>; RowVersion: string } };

const STAGES = ["new", "interview", "hired"];

/** Package k: a window of identities starting at k·stride, in a shuffled order, with k's own values. */
export function concurrentPackage(k: number, opts: Pick<ConcurrencyOptions, "identities" | "rowsPerApply" | "applies">, order: (ids: number[]) => number[]) {
  const stride = Math.max(1, Math.floor(opts.identities / opts.applies));
  const ids = order(Array.from({ length: opts.rowsPerApply }, (_, j) => (k * stride + j) % opts.identities));
  return {
    ids,
    doc: pkg(ids.map((i) => ({ Fields: valuesOf(k, i) }))),
  };
}
/** Half the packages change every field, the other half only some, so merges of partial updates are exercised. */
function valuesOf(k: number, i: number): Record<string, unknown> {
  const all = { email: `c${i}@race.test`, first_name: `A${k}`, last_name: `apply ${k} row ${i}`, age: k % 100, stage: STAGES[(k + i) % 3] };
  return k % 2 === 0 ? all : { email: all.email, first_name: all.first_name, age: all.age };
}

/** RFC 7396 over flat maps (null clears), written independently of the service's own fold. */
function fold(events: HistoryEvent[]): { fields: Record<string, unknown>; rowVersion: string; version: number; states: Record<string, unknown>[] } {
  let fields: Record<string, unknown> = {};
  const states: Record<string, unknown>[] = [];
  events.forEach((e, n) => {
    if (e.StreamVersion !== n + 1) throw new Error(`history out of order: version ${e.StreamVersion} at ${n + 1}`);
    const patch = e.Type === "InstanceCreated" ? e.Data.Fields! : (e.Data.Changes ?? {});
    if (e.Type === "InstanceCreated") fields = {};
    for (const [key, v] of Object.entries(patch)) {
      if (v === null) delete fields[key];
      else fields[key] = v;
    }
    states.push({ ...fields });
  });
  const last = events[events.length - 1]!;
  return { fields, rowVersion: last.Data.RowVersion, version: events.length, states };
}

const sameJson = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const canonical = (v: unknown): string => (v && typeof v === "object" ? JSON.stringify(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])])) : JSON.stringify(v));

export async function runConcurrency(opts: ConcurrencyOptions): Promise<ConcurrencyReport> {
  const seed = opts.seed ?? Date.now() % 100_000;
  const random = rng(seed);
  const log = opts.log ?? (() => {});
  const tmp = tempDb("race");
  const servers: ServerProcess[] = [];
  const started = performance.now();
  try {
    servers.push(await spawnServer({ dbFile: tmp.dbFile }));
    const api = client(servers[0]!.url, TOKEN);
    if ((await api.post(paths.definitions, CANDIDATE)).status !== 201) throw new Error("seed definition failed");
    if ((await api.post(paths.profiles(), BY_EMAIL)).status !== 201) throw new Error("seed profile failed");
    while (servers.length < opts.processes) servers.push(await spawnServer({ dbFile: tmp.dbFile }));

    const packages = Array.from({ length: opts.applies }, (_, k) => concurrentPackage(k, opts, (ids) => random.shuffle(ids)));
    const bodies = packages.map((p) => JSON.stringify(p.doc));
    // All at once: every request is on the wire before any answer is read.
    const replies = await Promise.all(
      packages.map((p, k) =>
        client(servers[k % servers.length]!.url, TOKEN).upload(paths.apply(), { ProfileId: "by_email", File: file(bodies[k]!), SelectedRowIndexes: `1-${p.ids.length}` }),
      ),
    );

    const statuses: Record<string, number> = {};
    const report: ConcurrencyReport = { applies: opts.applies, processes: opts.processes, rows: 0, statuses, created: 0, updated: 0, skipped: 0, conflicts: 0, retriedApplies: 0, instances: 0, events: 0, durationMs: 0, seed };
    // What each instance must show: every applied Create/Update row's event, and a state matching every Skip.
    const writes = new Map<string, { k: number; row: ApplyRow }[]>();
    const skips = new Map<string, { k: number; row: ApplyRow }[]>();
    replies.forEach((r, k) => {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status !== 200) throw new Error(`apply ${k} answered ${r.status}: ${r.text.slice(0, 800)}`);
      const { Summary, Rows } = r.body.Data as { Summary: Record<string, number>; Rows: ApplyRow[] };
      if (Rows.length !== packages[k]!.ids.length || Summary.SelectedRows !== Rows.length || Summary.AppliedRows! + Summary.FailedRows! !== Summary.SelectedRows)
        throw new Error(`apply ${k}: rows or summary do not add up: ${JSON.stringify(Summary)} for ${Rows.length} rows`);
      for (const row of Rows) {
        report.rows++;
        if (row.Status === 2) {
          // A loser is reported, never silently dropped: its only possible reason is the race.
          if (row.Errors.length === 0 || row.Errors.some((e) => e.Code !== "concurrency_conflict"))
            throw new Error(`apply ${k} row ${row.RowIndex} failed without a concurrency_conflict: ${JSON.stringify(row.Errors)}`);
          report.conflicts++;
          continue;
        }
        if (row.Status !== 0 && row.Status !== 1) throw new Error(`apply ${k} row ${row.RowIndex} has Status ${row.Status}`);
        if (!row.InstanceId || !row.RowVersion) throw new Error(`apply ${k} row ${row.RowIndex} was applied without InstanceId/RowVersion`);
        if (row.Action === 2) (report.skipped++, (skips.get(row.InstanceId) ?? skips.set(row.InstanceId, []).get(row.InstanceId)!).push({ k, row }));
        else {
          if (row.Action === 0) report.created++;
          else report.updated++;
          (writes.get(row.InstanceId) ?? writes.set(row.InstanceId, []).get(row.InstanceId)!).push({ k, row });
        }
      }
    });

    // One instance per identity, whichever process created it.
    const db = createClient({ url: `file:${tmp.dbFile}` });
    try {
      const rs = await db.execute("SELECT json_extract(fields, '$.email') AS email, count(*) AS n FROM instances GROUP BY 1 HAVING n > 1");
      if (rs.rows.length) throw new Error(`identities with more than one instance: ${rs.rows.map((r) => r.email).join(", ")}`);
      const instanceEvents = Number((await db.execute("SELECT count(*) FROM events WHERE type IN ('InstanceCreated', 'InstanceUpdated')")).rows[0]![0]);
      const writeRows = [...writes.values()].reduce((n, w) => n + w.length, 0);
      if (instanceEvents !== writeRows) throw new Error(`${instanceEvents} instance events in the log, but ${writeRows} apply rows reported a Create or Update`);
      // A batch commits with one timestamp; an apply whose rows were committed at more times than
      // it has batches lost a race and had (part of) a batch decided again.
      const commits = await db.execute(
        "SELECT json_extract(metadata, '$.CausationId') AS apply, count(DISTINCT recorded_at) AS commits FROM events WHERE type IN ('InstanceCreated', 'InstanceUpdated') GROUP BY 1",
      );
      const batches = Math.ceil(opts.rowsPerApply / ROWS_PER_COMMIT);
      report.retriedApplies = commits.rows.filter((r) => Number(r.commits) > batches).length;
    } finally {
      db.close();
    }

    // Projection vs the fold of /history, and every reported row found in its instance's history.
    const list = await api.get(`${paths.instances()}?limit=1000`);
    const items = list.body.Data.Items as { Id: string; Fields: Record<string, unknown>; RowVersion: string; Version: number }[];
    if (list.body.Data.NextCursor) throw new Error("more than 1000 instances: raise the page size");
    report.instances = items.length;
    for (const inst of items) {
      const h = await api.get(`${paths.instances()}/${inst.Id}/history`);
      if (h.status !== 200) throw new Error(`history of ${inst.Id}: ${h.status}`);
      const events = h.body.Data as HistoryEvent[];
      const f = fold(events);
      if (!sameJson(f.fields, inst.Fields) || f.rowVersion !== inst.RowVersion || f.version !== inst.Version)
        throw new Error(`instance ${inst.Id}: projection ${JSON.stringify(inst)} differs from the fold of its history ${JSON.stringify(f.fields)} v${f.version}`);
      const byRowVersion = new Map(events.map((e, n) => [e.Data.RowVersion, { e, n }] as const));
      for (const { k, row } of writes.get(inst.Id) ?? []) {
        const hit = byRowVersion.get(row.RowVersion!);
        if (!hit) throw new Error(`apply ${k} row ${row.RowIndex} reported RowVersion ${row.RowVersion} on ${inst.Id}, which its history does not hold (a lost update)`);
        const patch = hit.e.Data.Fields ?? hit.e.Data.Changes ?? {};
        const wanted = valuesOf(k, Number(/^c(\d+)@/.exec(String(inst.Fields.email))![1]));
        if (!sameJson(Object.keys(patch).sort(), [...row.ChangedFieldKeys].sort())) throw new Error(`apply ${k} row ${row.RowIndex}: ChangedFieldKeys ${row.ChangedFieldKeys} but the event wrote ${Object.keys(patch)}`);
        for (const [key, v] of Object.entries(patch)) if (!sameJson(v, wanted[key])) throw new Error(`apply ${k} row ${row.RowIndex}: the event wrote ${key}=${JSON.stringify(v)}, the package said ${JSON.stringify(wanted[key])}`);
      }
      for (const { k, row } of skips.get(inst.Id) ?? []) {
        const wanted = valuesOf(k, Number(/^c(\d+)@/.exec(String(inst.Fields.email))![1]));
        const justified = f.states.some((s) => Object.entries(wanted).every(([key, v]) => sameJson(s[key] ?? null, v)));
        if (!justified) throw new Error(`apply ${k} row ${row.RowIndex} was skipped as unchanged, but no state of ${inst.Id} ever held its values`);
      }
      // The last committed event's values win: the stored values are those of the newest event that set each field.
      const last = events[events.length - 1]!;
      for (const [key, v] of Object.entries(last.Data.Fields ?? last.Data.Changes ?? {})) if (!sameJson(inst.Fields[key] ?? null, v)) throw new Error(`instance ${inst.Id}: ${key} is not the last event's value`);
    }
    for (const s of servers) await s.kill("SIGTERM");
    servers.length = 0;
    const state = await assertLog(tmp.dbFile, "after the concurrent applies");
    await assertReplay(tmp.dbFile, "after the concurrent applies");
    report.events = state.events;
    report.durationMs = Math.round(performance.now() - started);
    log(`${opts.applies} applies on ${opts.processes} process(es): ${report.created} created, ${report.updated} updated, ${report.skipped} skipped, ${report.conflicts} concurrency_conflict, ${report.retriedApplies} applies retried after losing a race; ${report.instances} instances, ${report.events} events`);
    return report;
  } catch (e) {
    for (const s of servers) if (/SQLITE_|Error/.test(s.output())) (e as Error).message += `\n--- server ${s.pid} output ---\n${s.output().slice(-3000)}`;
    throw e;
  } finally {
    for (const s of servers) await s.kill("SIGKILL");
    tmp.remove();
  }
}
