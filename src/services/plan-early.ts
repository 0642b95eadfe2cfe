import { memoryChunks, type ChunkStore, type ChunkStoreFactory } from "../import/chunk-store.js";
import { RECORDS_PER_CHUNK } from "../import/package-spool.js";
import { planChunk, type PlannedChunk } from "./chunk-work.js";
import type { Deps } from "./deps.js";
import { resolveTarget, type ImportTarget } from "./import-context.js";
import { KEEP_RECORDS_UP_TO } from "./package-rows.js";

/** A chunk's plan rows as decided before the file's duplicates are known, and each row's own error count. */
export type EarlyChunk = Omit<Extract<PlannedChunk, { ok: true }>, "ok">;

/**
 * A plan of the chunks of an upload that are already cut while the rest of it comes in. Nothing
 * it does is seen by anyone until the plan takes its chunks: the work is parsing, preparing,
 * lookups (reads) and deciding, all of which the plan would do the same way after the upload.
 */
export type EarlyPlan = {
  /** The upload's chunk store: each chunk cut into it is planned too. */
  chunks: ChunkStoreFactory;
  /**
   * The chunks planned, from the file's first on, when they were planned for `target` (the same
   * definition and profile, at the same versions) and cut into `store`; otherwise none. Waits
   * for the lookups in flight, and ends the early plan.
   */
  take(target: ImportTarget, store: ChunkStore | null): Promise<EarlyChunk[]>;
  /** Ends the early plan without using it (a refused upload or plan). */
  stop(): void;
};

/**
 * Records planned before the upload ends, at most. Their rows wait in memory until the plan
 * takes them; in a file too big for one pass that is beside everything its first pass reads (1M
 * records with 250,000 early: peak RSS 1,052 MiB; bench/notes-plan.md, stop 19).
 */
export const EARLY_PLAN_UP_TO = Math.min(100_000, KEEP_RECORDS_UP_TO);

/** Uploads bigger than this (by their Content-Length) are planned after they are in, as before. */
export const EARLY_PLAN_MAX_BYTES = 64 * 1024 * 1024;

const sameTarget = (a: ImportTarget, b: ImportTarget) =>
  a.definition.Id === b.definition.Id && a.definition.Version === b.definition.Version && a.profile.Id === b.profile.Id && a.profile.Version === b.profile.Version;

/**
 * Starts planning an upload's chunks as they are cut, when the form's one ProfileId came before
 * its File part (`fieldsBefore`) and the body declared a length of at most EARLY_PLAN_MAX_BYTES;
 * null otherwise. Only the chunks within the first `upTo` records are planned: a one-pass plan
 * keeps that many rows anyway, and a bigger file's two-pass plan takes them as its first chunks
 * (plan.service.ts).
 *
 * Why: on the Node server the upload is cut on the upload thread, so this thread would wait for
 * it; planning the chunks already cut meanwhile takes the upload off the plan's critical path
 * (bench/notes-plan.md, stop 19). With a remote database, the chunks' lookups overlap the upload.
 */
export function planEarly(
  deps: Deps,
  entity: string,
  fieldsBefore: Readonly<Record<string, string[]>>,
  declaredBytes: number | null,
  upTo = EARLY_PLAN_UP_TO,
): EarlyPlan | null {
  const refs = fieldsBefore.ProfileId;
  if (refs?.length !== 1 || declaredBytes === null || declaredBytes > EARLY_PLAN_MAX_BYTES) return null;
  // The plan thread plans chunks on two threads from the first: nothing to take there.
  if (deps.chunkWorker) return null;
  const resolving = resolveTarget(deps, entity, refs[0]!).catch(() => null);
  const planned: EarlyChunk[] = [];
  const planning = new Set<Promise<void>>(); // chunks parsed, their lookups in flight
  const waiting: { text: string; c: number }[] = [];
  let target: ImportTarget | null = null;
  let stopped = false;
  let firstMissing = Infinity; // the first chunk that did not parse or whose lookup failed
  let store: ChunkStore | null = null;

  const stop = () => {
    stopped = true;
    planned.length = 0;
    waiting.length = 0;
  };
  const plan = (text: string, c: number) => {
    if (stopped || c >= firstMissing || (c + 1) * RECORDS_PER_CHUNK > upTo) return;
    if (!target) return void waiting.push({ text, c });
    const missing = () => void (firstMissing = Math.min(firstMissing, c));
    // The file's record count is only known at the end; it only goes into a syntax error's text,
    // and a chunk with one is planned again after the upload.
    const chunk = planChunk(deps, target, text, c, Number.MAX_SAFE_INTEGER).then((r) => {
      if (!r.ok) missing();
      else if (!stopped) planned[c] = { rows: r.rows, ownErrors: r.ownErrors };
    }, missing);
    planning.add(chunk);
    void chunk.then(() => planning.delete(chunk));
  };
  void resolving.then((r) => {
    if (!r?.ok) return stop();
    target = r.target;
    for (const { text, c } of waiting.splice(0)) plan(text, c);
  });

  const base = deps.spoolChunks ?? memoryChunks;
  return {
    chunks(): ChunkStore {
      // A second store means the spooler started over (another Records member): what was
      // planned is not the file's any more.
      if (store) stop();
      const inner = base();
      const mine: ChunkStore = {
        get length() {
          return inner.length;
        },
        push(text) {
          const c = inner.length;
          inner.push(text);
          if (store === mine) plan(text, c);
        },
        get: (index) => inner.get(index),
        release() {
          if (store === mine) stop();
          inner.release();
        },
      };
      store = mine;
      return mine;
    },
    async take(final, spooled) {
      const r = await resolving;
      while (planning.size > 0) await Promise.all(planning);
      const usable = !stopped && r?.ok === true && spooled === store && sameTarget(r.target, final);
      const out: EarlyChunk[] = [];
      if (usable) for (let c = 0; c < firstMissing && planned[c]; c++) out.push(planned[c]!);
      stop();
      return out;
    },
    stop,
  };
}
