import { planRowOf } from "../import/classify.js";
import type { PreparedRow } from "../import/prepare.js";
import type { PlanMatch } from "../domain/instance.js";
import type { PlanRow } from "../schemas/transfer.js";
import type { Deps, Failure } from "./deps.js";
import { lookupPlanMatches, type ImportTarget } from "./import-context.js";
import { prepareChunkText, readChunkText } from "./package-rows.js";

/**
 * One chunk of a plan's records, planned on its own: its rows as they are before the file's
 * duplicate identities are known, and how many errors each row had from preparing it (a row
 * found to be a duplicate keeps those, not the decision's).
 */
export type PlannedChunk = { ok: true; rows: PlanRow[]; ownErrors: number[] } | Failure;

/** One chunk of a package read in the first pass of an apply: readable, and its rows' identities. */
export type ScannedChunk = { ok: true; identities: (string | null)[] } | Failure;

/**
 * Chunk work done on another thread (the Node server's plan thread), with the same results as
 * planChunk and scanChunk here. `recordCount` is the file's (for a broken chunk's message).
 */
export type ChunkWorker = {
  plan(target: ImportTarget, text: string, index: number, recordCount: number): Promise<PlannedChunk>;
  scan(target: ImportTarget, text: string, index: number, recordCount: number): Promise<ScannedChunk>;
};

export const decideRows = (target: ImportTarget, prepared: PreparedRow[], matches: Map<string, PlanMatch>): PlanRow[] =>
  prepared.map((r) => planRowOf(r, r.identity === null ? null : (matches.get(r.identity) ?? null), target.definition, target.profile));

export const ownErrorsOf = (prepared: PreparedRow[]): number[] => prepared.map((r) => r.errors.length);

/** Chunk `index` of a file of `recordCount` records: parsed, prepared, looked up and decided. */
export async function planChunk(deps: Pick<Deps, "store">, target: ImportTarget, text: string, index: number, recordCount: number): Promise<PlannedChunk> {
  const chunk = prepareChunkText(text, index, recordCount, target);
  if (!chunk.ok) return chunk;
  const ownErrors = ownErrorsOf(chunk.rows);
  return { ok: true, rows: decideRows(target, chunk.rows, await lookupPlanMatches(deps, target, chunk.rows)), ownErrors };
}

/** Chunk `index` parsed and its identities read, for what the first pass keeps of it when it is read elsewhere. */
export function scanChunk(target: ImportTarget, text: string, index: number, recordCount: number): ScannedChunk {
  const chunk = readChunkText(text, index, recordCount, target);
  return chunk.ok ? { ok: true, identities: chunk.identities } : chunk;
}
