import { RECORDS_PER_CHUNK, type PackageSpool, type Upload } from "../import/package-spool.js";
import { duplicateFinder, duplicateIdentity, type PreparedRow } from "../import/prepare.js";
import type { PlanMatch } from "../domain/instance.js";
import { Action, PlanRowStatus } from "../schemas/enums.js";
import { createRunRows } from "../import/run-rows.js";
import { summarizePlan } from "../import/summaries.js";
import { FORMAT_VERSION, type Plan, type PlanRow } from "../schemas/transfer.js";
import { buildCommit, commitEvents, streams } from "./commit.js";
import { decideRows, ownErrorsOf, planChunk } from "./chunk-work.js";
import { inTwoThreads } from "./two-threads.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityRef, lookupPlanMatches, planProfile, resolveTarget, type ImportTarget } from "./import-context.js";
import { scanKey } from "../import/scan-memo.js";
import { checkSpool, KEEP_RECORDS_UP_TO, preparedChunks, preparedFromSpool, scanPackage } from "./package-rows.js";
import type { EarlyChunk, EarlyPlan } from "./plan-early.js";
import { rowsEvent, rowsUrl, storedResult } from "./run-rows-events.js";

/** The plan and its JSON text exactly as stored in the log (and sent to the client). */
export type PlanOutcome = { ok: true; plan: Plan; json: string } | Failure;

/** Rows per ImportRowsRecorded event of a big plan. */
const PLAN_ROWS_PER_EVENT = 10_000;

export async function planImport(deps: Deps, actor: Actor, entity: string, profileRef: string, upload: Upload, early?: EarlyPlan | null): Promise<PlanOutcome> {
  const resolved = await resolveTarget(deps, entity, profileRef);
  if (!resolved.ok) return resolved;
  const target = resolved.target;
  const checked = checkSpool(upload.spool, target);
  if (!checked.ok) return checked;
  const before = (await early?.take(target, checked.spool.recordChunks)) ?? [];
  const planned = await planRows(deps, target, checked.spool, KEEP_RECORDS_UP_TO, before);
  if (!planned.ok) return planned;
  // The file parsed whole and its repeated identities are known: an apply of it can skip its first pass.
  deps.scanMemo?.set(scanKey(upload.sha256, target), { count: planned.count, duplicates: planned.duplicates });

  const planId = deps.newId();
  const meta = { ...actor, CausationId: null };
  const rows = createRunRows<PlanRow, ReturnType<typeof summarizePlan>>(planned.count, summarizePlan);
  let version = 1;
  let pendingRows: PlanRow[] = [];
  // A big plan keeps every row in the log, a slice per event, written as the plan goes. One slice
  // is written (on the database thread, when there is one) while the next is built and rendered.
  let writing: Promise<void> = Promise.resolve();
  const record = async () => {
    if (!rows.truncated || pendingRows.length < PLAN_ROWS_PER_EVENT) return;
    const commit = buildCommit(deps, [rowsEvent(planId, version, pendingRows)], meta);
    deps.store.prepare?.(commit);
    version++;
    pendingRows = [];
    await writing;
    writing = deps.store.append(commit).then((outcome) => {
      if (!outcome.ok) throw new Error(`recording the plan rows failed: ${outcome.reason}`);
    });
    writing.catch(() => undefined); // awaited with the next slice or before the last commit
  };
  for await (const chunk of planned.chunks) {
    rows.add(chunk);
    if (rows.truncated) pendingRows.push(...chunk);
    await record();
  }

  // The plan is rendered while the previous slice is still being written; the last slice goes in
  // one commit with ImportPlanned (one round trip and one fsync less, and the run ends atomically).
  const plan: Plan = {
    PlanId: planId,
    FormatVersion: FORMAT_VERSION,
    GeneratedAtUtc: deps.now().toISOString(),
    Entity: entityRef(target.definition),
    Profile: planProfile(target.profile),
    Summary: rows.summary(),
    IssueCategories: rows.categories(),
    Rows: rows.head(),
    ...(rows.truncated ? { RowsComplete: false, RowsUrl: rowsUrl(planId) } : {}),
  };
  const json = JSON.stringify(plan);
  const lastSlice = rows.truncated && pendingRows.length > 0 ? [rowsEvent(planId, version, pendingRows)] : [];
  await writing;
  const outcome = await commitEvents(
    deps,
    [
      ...lastSlice,
      {
        streamId: streams.run(plan.PlanId),
        streamVersion: version + lastSlice.length,
        event: {
          type: "ImportPlanned",
          data: { RunId: plan.PlanId, EntityId: target.definition.Id, ProfileId: target.profile.Id, FileSha256: upload.sha256, Summary: plan.Summary, ResultJson: storedResult(plan, json) },
        },
      },
    ],
    meta,
  );
  if (!outcome.ok) throw new Error(`recording the plan failed: ${outcome.reason}`);
  return { ok: true, plan, json };
}

type PlannedRows = { ok: true; count: number; duplicates: ReadonlySet<number>; chunks: AsyncIterable<PlanRow[]> } | Failure;
type Took = (rows: PlanRow[], ownErrors: number[]) => void;

/**
 * Each chunk planned on this thread, in file order, from chunk `from`. One chunk's lookup is in
 * flight while the next chunk is parsed and prepared (they overlap when the lookup runs on the
 * database thread, see planMatchesByIdentity). Returns the first chunk that does not parse, if any.
 */
async function planHere(deps: Deps, target: ImportTarget, spool: PackageSpool, took: Took, from: number): Promise<Failure | null> {
  let looking: { rows: PreparedRow[]; own: number[]; matches: Promise<Map<string, PlanMatch>> } | null = null;
  for (const chunk of preparedFromSpool(spool, target, from)) {
    if (!chunk.ok) {
      await looking?.matches.catch(() => undefined);
      return chunk;
    }
    const next = { rows: chunk.rows, own: ownErrorsOf(chunk.rows), matches: lookupPlanMatches(deps, target, chunk.rows) };
    next.matches.catch(() => undefined); // awaited below
    if (looking) took(decideRows(target, looking.rows, await looking.matches), looking.own);
    looking = next;
  }
  if (looking) took(decideRows(target, looking.rows, await looking.matches), looking.own);
  return null;
}

/** A row whose identity repeats in the file: what deciding it with duplicate_identity_in_file gives. */
function asDuplicate(row: PlanRow, ownErrors: number): void {
  row.Errors.length = ownErrors;
  row.Errors.push(duplicateIdentity({ identity: row.IdentityValue, rowIndex: row.RowIndex }));
  row.Action = Action.Skip;
  row.Status = PlanRowStatus.Error;
}

/**
 * The plan rows chunk by chunk, in file order, once the whole file is known to be readable.
 *
 * Up to KEEP_RECORDS_UP_TO records the file is read once: each chunk is parsed, prepared, looked
 * up and decided while it is fresh, and only its plan rows are kept (not the prepared rows with
 * all their values until a second pass: those made every young-generation GC copy and promote
 * them). A repeated identity is only known at the end; its rows are then turned into what
 * deciding them with duplicate_identity_in_file gives: their own errors plus that one, Skip, Error.
 * Bigger files take two passes, the second streaming, so memory stays bounded by the spooled text.
 *
 * `early`: the file's first chunks, already planned while it was uploaded (plan-early.ts); they
 * are taken as planned here, and in a two-pass plan their identities count in the first pass.
 */
export async function planRows(deps: Deps, target: ImportTarget, spool: PackageSpool, onePassUpTo = KEEP_RECORDS_UP_TO, early: EarlyChunk[] = []): Promise<PlannedRows> {
  const decide = async (prepared: PreparedRow[]) => decideRows(target, prepared, await lookupPlanMatches(deps, target, prepared));
  const finder = duplicateFinder();
  for (const e of early) for (const r of e.rows) finder.see({ identity: r.IdentityValue, rowIndex: r.RowIndex });
  if (spool.recordCount > onePassUpTo) {
    const scanned = await scanPackage(deps, spool, target, undefined, { from: early.length, finder });
    if (!scanned.ok) return scanned;
    const { scan } = scanned;
    return {
      ok: true,
      count: scan.count,
      duplicates: scan.duplicates,
      chunks: (async function* () {
        for (let c = 0; c < early.length; c++) {
          const { rows, ownErrors } = early[c]!;
          early[c] = { rows: [], ownErrors: [] }; // handed out once; let it go with the rows
          for (let i = 0; i < rows.length; i++) if (scan.duplicates.has(rows[i]!.RowIndex)) asDuplicate(rows[i]!, ownErrors[i]!);
          yield rows;
        }
        for (const prepared of preparedChunks(scan, target, undefined, early.length)) yield decide(prepared);
      })(),
    };
  }

  const chunks: PlanRow[][] = [];
  // How many errors each row had from preparing it: a duplicate keeps those, not the decision's.
  const ownErrors = new Uint32Array(spool.recordCount + 1);
  const keep = (rows: PlanRow[], own: number[]) => {
    for (let i = 0; i < rows.length; i++) if (rows[i]!.IdentityValue !== null) ownErrors[rows[i]!.RowIndex] = own[i]!;
    chunks.push(rows);
  };
  const took = (rows: PlanRow[], own: number[]) => {
    for (const r of rows) finder.see({ identity: r.IdentityValue, rowIndex: r.RowIndex });
    keep(rows, own);
  };
  for (const e of early) keep(e.rows, e.ownErrors);
  const count = spool.recordChunks?.length ?? 0;
  const worker = deps.chunkWorker;
  const text = (c: number) => spool.recordChunks!.get(c);
  // A file of one chunk has nothing to share; early chunks come only without a worker.
  const failed =
    worker && count > 1 && early.length === 0
      ? await inTwoThreads(
          count,
          (c) => worker.plan(target, text(c), c, spool.recordCount),
          (c) => planChunk(deps, target, text(c), c, spool.recordCount),
          (r) => (r.ok ? (took(r.rows, r.ownErrors), null) : r),
        )
      : await planHere(deps, target, spool, took, early.length);
  if (failed) return failed;
  const duplicates = finder.duplicates;
  for (const rowIndex of duplicates) {
    const row = chunks[Math.floor((rowIndex - 1) / RECORDS_PER_CHUNK)]![(rowIndex - 1) % RECORDS_PER_CHUNK]!;
    asDuplicate(row, ownErrors[rowIndex]!);
  }
  return {
    ok: true,
    count: spool.recordCount,
    duplicates,
    chunks: (async function* () {
      for (let c = 0; c < chunks.length; c++) {
        const chunk = chunks[c]!;
        chunks[c] = []; // handed out once; let it go with the rows
        yield chunk;
      }
    })(),
  };
}
