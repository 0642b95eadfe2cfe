import type { EventMetadata } from "../../events/metadata.js";
import { RECORDS_PER_CHUNK, type Upload } from "../import/package-spool.js";
import type { InstanceState } from "../domain/instance.js";
import { matchesOf, type InstanceTexts } from "../projections/queries.js";
import type { PreparedRow } from "../import/prepare.js";
import { createRunRows } from "../import/run-rows.js";
import { parseSelection } from "../import/selection.js";
import { summarizeApply } from "../import/summaries.js";
import { FORMAT_VERSION, type ApplyResult, type ApplyRow } from "../schemas/transfer.js";
import { applyChunksPipelined, ROWS_PER_COMMIT, type RowsRecorder } from "./apply-rows.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps, Failure } from "./deps.js";
import { entityRef, lookupMatches, lookupMatchesBeside, planProfile, resolveTarget } from "./import-context.js";
import { checkSpool, knownScan, preparedChunks, scanPackage, type ScannedPackage } from "./package-rows.js";
import { scanKey } from "../import/scan-memo.js";
import { rowsEvent, rowsUrl, storedResult } from "./run-rows-events.js";

export type ApplyOutcome = { ok: true; result: ApplyResult; json: string } | Failure;

export { ROWS_PER_COMMIT };

export async function applyImport(deps: Deps, actor: Actor, entity: string, profileRef: string, upload: Upload, selection: string | string[] | undefined): Promise<ApplyOutcome> {
  const resolved = await resolveTarget(deps, entity, profileRef);
  if (!resolved.ok) return resolved;
  const target = resolved.target;
  const checked = checkSpool(upload.spool, target);
  if (!checked.ok) return checked;
  // The whole file is read once before anything is written: a broken record or an
  // out-of-range selection refuses the apply with nothing changed.
  // The writer is idle while the file is read: it looks up each kept chunk's matches meanwhile.
  // A file read whole before (planned, or applied) is known to parse and its repeated identities
  // are known: its rows are read once, while the chunks before them are written.
  const memoKey = deps.scanMemo ? scanKey(upload.sha256, target) : null;
  const known = memoKey ? deps.scanMemo!.get(memoKey) : undefined;
  const lookAhead = (identities: (string | null)[]) => {
    const texts = lookupMatchesBeside(deps, target, identities);
    texts?.catch(() => undefined); // awaited in the second pass, or dropped with a refused file
    return texts;
  };
  const scanned =
    known && known.count === checked.spool.recordCount
      ? { ok: true as const, scan: knownScan(checked.spool, known) as ScannedPackage<Promise<InstanceTexts> | null> }
      : await scanPackage(deps, checked.spool, target, lookAhead);
  if (!scanned.ok) return scanned;
  if (memoKey && !known) deps.scanMemo!.set(memoKey, { count: scanned.scan.count, duplicates: scanned.scan.duplicates });
  const selected = parseSelection(selection, scanned.scan.count);
  if (!selected.ok) return { ok: false, status: 400, errors: selected.errors };

  const applyId = deps.newId();
  const meta: EventMetadata = { ...actor, CausationId: applyId };
  const rows = createRunRows<ApplyRow, ReturnType<typeof summarizeApply>>(selected.rows.length, summarizeApply);
  let version = 1;
  // Whether the last chunk decided writes instances: then the database thread is the busy one.
  let writes = false;
  const recorder: RowsRecorder = {
    eventFor: (chunk, ahead = 0) => {
      writes = chunk.some((r) => r.ChangedFieldKeys.length > 0);
      return rows.truncated && chunk.length > 0 ? rowsEvent(applyId, version + ahead, chunk) : null;
    },
    committed: (chunk) => {
      rows.add(chunk);
      if (rows.truncated && chunk.length > 0) version++;
    },
  };

  // Duplicates were judged over the whole file in the first pass; only the selected rows are decided.
  const wanted = selected.rows;
  const scan = scanned.scan;
  function* selectedChunks(): Generator<PreparedRow[]> {
    let next = 0;
    let batch: PreparedRow[] = [];
    // A known scan looked nothing up: each chunk's lookup goes ahead to the database thread while
    // the chunks before it wrote no instances (a re-apply, where this thread is the busy one), and
    // is made here while they do (the writer is the busy one, and a lookup would queue behind it).
    for (const prepared of preparedChunks(scan, target, known ? (identities) => (writes ? null : lookAhead(identities)) : undefined)) {
      for (const r of prepared) if (wanted[next] === r.rowIndex) (batch.push(r), next++);
      while (batch.length >= ROWS_PER_COMMIT) (yield batch.slice(0, ROWS_PER_COMMIT), (batch = batch.slice(ROWS_PER_COMMIT)));
      if (next === wanted.length) break;
    }
    if (batch.length) yield batch;
  }
  await applyChunksPipelined(deps, target, selectedChunks(), meta, applyId, recorder, matchesFrom(scan, (chunk) => lookupMatches(deps, target, chunk)));

  const result: ApplyResult = {
    ApplyId: applyId,
    FormatVersion: FORMAT_VERSION,
    AppliedAtUtc: deps.now().toISOString(),
    Entity: entityRef(target.definition),
    Profile: planProfile(target.profile),
    Summary: rows.summary(),
    IssueCategories: rows.categories(),
    Rows: rows.head(),
    ...(rows.truncated ? { RowsComplete: false as const, RowsUrl: rowsUrl(applyId) } : {}),
  };
  const json = JSON.stringify(result);
  const outcome = await commitEvents(
    deps,
    [
      {
        streamId: streams.run(applyId),
        streamVersion: version,
        event: {
          type: "ImportApplied",
          data: {
            RunId: applyId,
            EntityId: target.definition.Id,
            ProfileId: target.profile.Id,
            FileSha256: upload.sha256,
            SelectedRowIndexes: selected.rows,
            Summary: result.Summary,
            ResultJson: storedResult(result, json),
          },
        },
      },
    ],
    { ...actor, CausationId: null },
  );
  if (!outcome.ok) throw new Error(`recording the apply failed: ${outcome.reason}`);
  return { ok: true, result, json };
}

/**
 * The matches of a group of selected rows from the lookups the first pass sent for their file
 * chunks, each parsed once and let go when the rows have moved past it; looked up now when a chunk
 * has none (not kept, or no database thread).
 */
function matchesFrom(scan: ScannedPackage<Promise<InstanceTexts> | null>, lookupNow: (rows: PreparedRow[]) => Promise<Map<string, InstanceState>>) {
  const parsed = new Map<number, Promise<Map<string, InstanceState>>>();
  const chunkOf = (r: PreparedRow) => Math.floor((r.rowIndex - 1) / RECORDS_PER_CHUNK);
  return async (rows: PreparedRow[]): Promise<Map<string, InstanceState>> => {
    if (rows.length === 0) return new Map();
    const first = chunkOf(rows[0]!);
    const last = chunkOf(rows[rows.length - 1]!);
    for (const c of parsed.keys()) if (c < first) parsed.delete(c);
    const maps: Promise<Map<string, InstanceState>>[] = [];
    for (let c = first; c <= last; c++) {
      let map = parsed.get(c);
      if (!map) {
        const texts = scan.ahead[c];
        if (!texts) return lookupNow(rows);
        scan.ahead[c] = undefined;
        map = texts.then(matchesOf);
        parsed.set(c, map);
      }
      maps.push(map);
    }
    if (maps.length === 1) return maps[0]!;
    const merged = new Map<string, InstanceState>();
    for (const map of await Promise.all(maps)) for (const [k, v] of map) merged.set(k, v);
    return merged;
  };
}
