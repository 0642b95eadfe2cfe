import { createClient } from "@libsql/client";
import { CANDIDATE, BY_EMAIL, paths, pkg } from "../support/fixtures.js";
import { client, file } from "../support/server.js";
import { TOKEN, assertLog, assertReplay, rng, sleep, spawnServer, tempDb, type ServerProcess } from "./harness.js";

/**
 * Crash safety: a large apply (with an Idempotency-Key) is SIGKILLed at random moments, the
 * server restarted, and the log checked after every kill; then the same request is sent again
 * until it completes. Each round uses new values for the same identities (round 0 creates, the
 * later ones update), so every round writes one event per valid row.
 */

export type CrashOptions = {
  rows: number;
  /** Kills that must land while an apply is in flight (its response not yet received). */
  kills: number;
  /** Kills per round (one Idempotency-Key per round) before the round is allowed to finish. */
  killsPerRound?: number;
  seed?: number;
  /** Run `npm run replay` after every kill (else only at the end of each round). */
  replayEveryKill?: boolean;
  log?: (line: string) => void;
};

export type CrashReport = {
  rows: number;
  validRows: number;
  rounds: number;
  kills: number;
  /** Attempts whose response arrived before the planned kill (not counted as kills). */
  completedBeforeKill: number;
  /** Kills after which some, but not all, of the round's rows were committed (a batch boundary). */
  partialStates: number;
  /** Rows of the round already committed when each kill landed. */
  committedAtKill: number[];
  killDelaysMs: number[];
  replays: number;
  events: number;
  seed: number;
  durationMs: number;
};

const STAGES = ["new", "interview", "hired"];

/** Row i of round r: every 50th row is invalid (age), every 13th carries an unknown field (warning). */
export function crashPackage(rows: number, round: number) {
  const records = Array.from({ length: rows }, (_, i) => {
    const fields: Record<string, unknown> = {
      email: `p${i}@crash.test`,
      first_name: `R${round}N${i}`,
      last_name: `round ${round}`,
      age: i % 50 === 7 ? "not-a-number" : (i + round) % 90,
      stage: STAGES[(i + round) % 3],
    };
    if (i % 13 === 0) fields.shoe = 42;
    return { Fields: fields };
  });
  return pkg(records);
}
export const isValidRow = (i: number) => i % 50 !== 7;

const canonical = (o: Record<string, unknown>) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

/** The stored fields of valid row i after round r (normalized, unknown fields dropped), keys in definition order. */
function expectedFields(i: number, round: number): Record<string, unknown> | null {
  if (i < 0 || !isValidRow(i)) return null;
  return { email: `p${i}@crash.test`, first_name: `R${round}N${i}`, last_name: `round ${round}`, age: (i + round) % 90, stage: STAGES[(i + round) % 3] };
}

export async function runCrash(opts: CrashOptions): Promise<CrashReport> {
  const seed = opts.seed ?? Date.now() % 100_000;
  const random = rng(seed);
  const log = opts.log ?? (() => {});
  const killsPerRound = opts.killsPerRound ?? 3;
  const tmp = tempDb("crash");
  const started = performance.now();
  const validRows = Array.from({ length: opts.rows }, (_, i) => i).filter(isValidRow).length;
  const report: CrashReport = { rows: opts.rows, validRows, rounds: 0, kills: 0, completedBeforeKill: 0, partialStates: 0, committedAtKill: [], killDelaysMs: [], replays: 0, events: 0, seed, durationMs: 0 };
  let server: ServerProcess | null = null;
  const db = () => createClient({ url: `file:${tmp.dbFile}` });
  const roundRowsCommitted = async (round: number) => {
    const c = db();
    try {
      const rs = await c.execute({ sql: "SELECT count(*) FROM instances WHERE json_extract(fields, '$.last_name') = ?", args: [`round ${round}`] });
      return Number(rs.rows[0]![0]);
    } finally {
      c.close();
    }
  };

  try {
    server = await spawnServer({ dbFile: tmp.dbFile });
    const api = client(server.url, TOKEN);
    if ((await api.post(paths.definitions, CANDIDATE)).status !== 201) throw new Error("seed definition failed");
    if ((await api.post(paths.profiles(), BY_EMAIL)).status !== 201) throw new Error("seed profile failed");

    // The upper bound of a timed kill's delay: about one full apply, learnt from applies that finished.
    let windowMs = 400 + opts.rows * 0.15;
    const maxPosition = async () => {
      const c = db();
      try {
        return Number((await c.execute("SELECT coalesce(max(position), 0) FROM events")).rows[0]![0]);
      } finally {
        c.close();
      }
    };
    for (let round = 0; report.kills < opts.kills; round++) {
      if (round > opts.kills * 3) throw new Error(`only ${report.kills} of ${opts.kills} kills landed during an apply in ${round} rounds`);
      report.rounds = round + 1;
      const doc = JSON.stringify(crashPackage(opts.rows, round));
      const key = `crash-round-${round}-${seed}`;
      const send = (s: ServerProcess) =>
        client(s.url, TOKEN).upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: `1-${opts.rows}` }, { headers: { "Idempotency-Key": key } });

      for (let k = 0; k < killsPerRound && report.kills < opts.kills; k++) {
        server ??= await spawnServer({ dbFile: tmp.dbFile });
        const s: ServerProcess = server;
        const t0 = performance.now();
        let answered = false;
        const attempt = send(s).then(
          (r) => ((answered = true), r),
          () => null,
        );
        // Half the kills come after a random delay (upload, parsing, deciding or committing); the
        // other half as soon as a random number of this attempt's events is visible in the file,
        // so some kills always land between two committed batches of one apply.
        const byProgress = report.kills % 2 === 1;
        const delay = Math.round(20 + random.next() * windowMs);
        if (byProgress) {
          const from = await maxPosition();
          const target = from + 1 + Math.floor(random.next() * (validRows - 1));
          const until = t0 + windowMs * 3;
          while (!answered && performance.now() < until && (await maxPosition()) < target) await sleep(3);
        } else await Promise.race([attempt, sleep(delay)]);
        if (answered) {
          const r = await attempt;
          if (r?.status !== 200) throw new Error(`round ${round}: apply answered ${r?.status}: ${r?.text.slice(0, 500)}`);
          report.completedBeforeKill++;
          // Only a full apply (not a replayed answer, not a resend that skipped committed rows) sets the window.
          if (r.headers.get("idempotent-replayed") !== "true" && r.body.Data.Summary.SkipRows === 0) windowMs = performance.now() - t0;
          log(`round ${round}: the apply finished in ${Math.round(performance.now() - t0)} ms before its kill`);
          break;
        }
        await s.kill("SIGKILL");
        await attempt;
        server = null;
        report.kills++;
        const killedAt = Math.round(performance.now() - t0);
        report.killDelaysMs.push(killedAt);
        const committed = await roundRowsCommitted(round);
        report.committedAtKill.push(committed);
        if (committed > 0 && committed < validRows) report.partialStates++;
        const state = await assertLog(tmp.dbFile, `after kill ${report.kills} (round ${round}, ${killedAt} ms)`);
        if (opts.replayEveryKill !== false) {
          await assertReplay(tmp.dbFile, `after kill ${report.kills}`);
          report.replays++;
        }
        log(`kill ${report.kills}: round ${round} at ${killedAt} ms${byProgress ? " (on progress)" : ""}, ${committed}/${validRows} rows of the round committed, ${state.events} events; log and replay verified`);
      }

      // The same request again, with its key, until it completes (no kill).
      server ??= await spawnServer({ dbFile: tmp.dbFile });
      const done = await send(server);
      if (done.status !== 200) throw new Error(`round ${round}: the resend answered ${done.status}: ${done.text.slice(0, 500)}`);
      const summary = done.body.Data.Summary;
      const expected = { SelectedRows: opts.rows, AppliedRows: validRows, FailedRows: opts.rows - validRows };
      for (const [k, v] of Object.entries(expected))
        if (summary[k] !== v) throw new Error(`round ${round}: the completed apply's ${k} is ${summary[k]}, expected ${v}: ${JSON.stringify(summary)}`);
      const failedCodes = new Set<string>();
      for (const row of done.body.Data.Rows as { RowIndex: number; Status: number; Errors: { Code: string }[] }[]) {
        if (row.Status === 2) {
          if (isValidRow(row.RowIndex - 1)) throw new Error(`round ${round}: valid row ${row.RowIndex} failed: ${JSON.stringify(row.Errors)}`);
          row.Errors.forEach((e) => failedCodes.add(e.Code));
        }
      }
      if ([...failedCodes].some((c) => c !== "invalid_field_value")) throw new Error(`round ${round}: unexpected failure codes ${[...failedCodes]}`);

      // Every valid row exists exactly once, with this round's values and one event per round.
      const c = db();
      try {
        const q = async (sql: string, args: (string | number)[] = []) => Number((await c.execute({ sql, args })).rows[0]![0]);
        const instances = await q("SELECT count(*) FROM instances");
        const current = await q("SELECT count(*) FROM instances WHERE json_extract(fields, '$.last_name') = ? AND version = ?", [`round ${round}`, round + 1]);
        const emails = await q("SELECT count(DISTINCT json_extract(fields, '$.email')) FROM instances");
        const claims = await q("SELECT count(*) FROM instance_keys");
        if (instances !== validRows || current !== validRows || emails !== validRows || claims !== validRows)
          throw new Error(`round ${round}: expected ${validRows} instances at version ${round + 1}; found ${instances} instances, ${current} current, ${emails} distinct e-mails, ${claims} identity claims`);
        // Each instance holds exactly its own row's values of this round.
        const rs = await c.execute("SELECT fields FROM instances");
        let wrong = 0;
        for (const r of rs.rows) {
          const f = JSON.parse(String(r[0])) as Record<string, unknown>;
          const i = Number(/^p(\d+)@/.exec(String(f.email))?.[1] ?? -1);
          const want = expectedFields(i, round);
          if (!want || canonical(f) !== canonical(want)) wrong++;
        }
        if (wrong) throw new Error(`round ${round}: ${wrong} instances do not hold exactly their row's values of this round`);
      } finally {
        c.close();
      }

      // A further resend replays the stored answer and writes nothing.
      const before = await assertLog(tmp.dbFile, `round ${round} completed`);
      const replayed = await send(server);
      if (replayed.status !== 200 || replayed.headers.get("idempotent-replayed") !== "true" || replayed.text !== done.text)
        throw new Error(`round ${round}: a further resend was not a replay of the stored answer (${replayed.status}, idempotent-replayed ${replayed.headers.get("idempotent-replayed")})`);
      const after = await assertLog(tmp.dbFile, `round ${round} replayed`);
      if (after.events !== before.events) throw new Error(`round ${round}: the replayed resend wrote ${after.events - before.events} events`);
      log(`round ${round}: completed on resend (${summary.CreateRows} created, ${summary.UpdateRows} updated, ${summary.SkipRows} skipped); a further resend was replayed`);
    }

    await server?.kill("SIGTERM");
    server = null;
    const final = await assertLog(tmp.dbFile, "at the end");
    await assertReplay(tmp.dbFile, "at the end");
    report.replays++;
    report.events = final.events;
    report.durationMs = Math.round(performance.now() - started);
    return report;
  } finally {
    await server?.kill("SIGKILL");
    tmp.remove();
  }
}
