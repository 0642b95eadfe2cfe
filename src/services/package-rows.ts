import { checkPackage } from "../import/package.js";
import { parseChunkText, RECORDS_PER_CHUNK, type PackageSpool, type SpoolResult } from "../import/package-spool.js";
import { createFieldResolver, duplicateFinder, duplicateIdentity, identityOf, prepareRow, type DuplicateFinder, type PreparedRow } from "../import/prepare.js";
import type { ScanFacts } from "../import/scan-memo.js";
import type { ScannedChunk } from "./chunk-work.js";
import type { Deps, Failure } from "./deps.js";
import { inTwoThreads } from "./two-threads.js";
import type { ImportTarget } from "./import-context.js";

/**
 * Files up to this many records keep their parsed records between the two passes (and a plan of
 * them is read in one pass); bigger ones are parsed again in the second pass, so memory stays
 * bounded by the spooled text.
 */
export const KEEP_RECORDS_UP_TO = 250_000;

/**
 * A package read once through: known to be valid, its size, the rows whose identity repeats, its
 * parsed records per chunk (`kept`, for files up to KEEP_RECORDS_UP_TO records) and what the
 * scan's `lookAhead` returned for each of those chunks (`ahead`).
 */
export type ScannedPackage<A = never> = { spool: PackageSpool; count: number; duplicates: Set<number>; kept: unknown[][] | null; ahead: (A | undefined)[] };

/** The package-level checks of the buffered reader, on a spooled package. */
export function checkSpool(r: SpoolResult, target: ImportTarget): { ok: true; spool: PackageSpool } | Failure {
  if (!r.ok) return { ok: false, status: 400, errors: r.errors };
  const { members, recordChunks } = r.spool;
  const checked = checkPackage({ ...members, Records: recordChunks ? [] : members.Records }, target.definition);
  return checked.ok ? { ok: true, spool: r.spool } : { ok: false, status: 400, errors: checked.errors };
}

type Resolver = ReturnType<typeof createFieldResolver>;

/** Chunk `c` of the spool parsed and prepared (row indexes count from the file's first record). */
function prepareChunk(spool: PackageSpool, c: number, target: ImportTarget, resolve: Resolver): { ok: true; rows: PreparedRow[] } | Failure {
  return prepareChunkText(spool.recordChunks!.get(c), c, spool.recordCount, target, resolve);
}

/** prepareChunk on chunk `c`'s text already read (`recordCount`: the file's). */
export function prepareChunkText(text: string, c: number, recordCount: number, target: ImportTarget, resolve: Resolver = createFieldResolver(target.definition, target.profile)): { ok: true; rows: PreparedRow[] } | Failure {
  const parsed = parseChunkText(text, c, recordCount);
  if (!parsed.ok) return { ok: false, status: 400, errors: parsed.errors };
  return { ok: true, rows: prepareRecords(parsed.records, c, target, resolve) };
}

/** Chunk `c`'s parsed records prepared (row indexes count from the file's first record). */
const prepareRecords = (records: unknown[], c: number, target: ImportTarget, resolve: Resolver): PreparedRow[] => {
  const base = c * RECORDS_PER_CHUNK;
  return records.map((rec, i) => prepareRow(rec, base + i + 1, target.profile, resolve));
};

/**
 * Chunk `c`'s text parsed, and the identity each record has (identityOf: what prepareRow gives,
 * without validating the rest of the record). `recordCount`: the file's.
 */
export function readChunkText(text: string, c: number, recordCount: number, target: ImportTarget, resolve: Resolver = createFieldResolver(target.definition, target.profile)): { ok: true; records: unknown[]; identities: (string | null)[] } | Failure {
  const parsed = parseChunkText(text, c, recordCount);
  if (!parsed.ok) return { ok: false, status: 400, errors: parsed.errors };
  const identities = new Array<string | null>(parsed.records.length);
  for (let i = 0; i < parsed.records.length; i++) identities[i] = identityOf(parsed.records[i], target.profile, resolve);
  return { ok: true, records: parsed.records, identities };
}

/** Each chunk of the spool from chunk `from` parsed and prepared, in file order; a chunk that does not parse ends it. */
export function* preparedFromSpool(spool: PackageSpool, target: ImportTarget, from = 0): Generator<{ ok: true; rows: PreparedRow[] } | Failure> {
  const resolve = createFieldResolver(target.definition, target.profile);
  const count = spool.recordChunks?.length ?? 0;
  for (let c = from; c < count; c++) {
    const chunk = prepareChunk(spool, c, target, resolve);
    yield chunk;
    if (!chunk.ok) return;
  }
}

/**
 * First pass: every record is parsed and its identity read, so a broken file fails before
 * anything is decided or written, and duplicates are known across the whole file (all rows of a
 * repeated identity are errors, the first one too). Records are validated and prepared in the
 * second pass (preparedChunks), which runs while the database thread writes: the first pass must
 * end before the first write, so it does only what deciding that needs (bench/notes-writepath.md,
 * stop 14). With a chunk worker (the Node server's plan thread), chunks are read on two threads;
 * the worker's are not kept and are parsed again in the second pass. `lookAhead` gets each chunk's
 * identities while the file is read (only files whose records are kept). `start`: the chunks
 * before `from` were read already (a plan's early chunks) and `finder` has seen their identities.
 */
export async function scanPackage<A = never>(
  deps: Pick<Deps, "chunkWorker">,
  spool: PackageSpool,
  target: ImportTarget,
  lookAhead?: (identities: (string | null)[]) => A,
  start: { from: number; finder: DuplicateFinder } = { from: 0, finder: duplicateFinder() },
): Promise<{ ok: true; scan: ScannedPackage<A> } | Failure> {
  const keep = spool.recordCount <= KEEP_RECORDS_UP_TO;
  const kept: unknown[][] = [];
  const ahead: (A | undefined)[] = [];
  const { from, finder } = start;
  const count = spool.recordChunks?.length ?? 0;
  const text = (c: number) => spool.recordChunks!.get(c);
  const resolve = createFieldResolver(target.definition, target.profile);
  const here = (c: number) => readChunkText(text(c), c, spool.recordCount, target, resolve);
  type Read = ReturnType<typeof here> | ScannedChunk;
  const take = (r: Read, c: number): Failure | null => {
    if (!r.ok) return r;
    const base = c * RECORDS_PER_CHUNK;
    r.identities.forEach((identity, i) => finder.see({ identity, rowIndex: base + i + 1 }));
    if (keep) {
      if ("records" in r) kept[c] = r.records;
      if (lookAhead) ahead[c] = lookAhead(r.identities);
    }
    return null;
  };
  const worker = deps.chunkWorker;
  let failed: Failure | null = null;
  if (worker && count > 1 && from === 0) failed = await inTwoThreads<Read>(count, (c) => worker.scan(target, text(c), c, spool.recordCount), here, take);
  else for (let c = from; c < count && !failed; c++) failed = take(here(c), c);
  return failed ?? { ok: true, scan: { spool, count: spool.recordCount, duplicates: finder.duplicates, kept: keep ? kept : null, ahead } };
}

/**
 * A package whose first pass is known from an earlier whole read of the same bytes (scan-memo.ts):
 * nothing is kept or looked up ahead, so the second pass parses each chunk as it goes, while the
 * database thread writes the chunks before it.
 */
export function knownScan(spool: PackageSpool, facts: ScanFacts): ScannedPackage<never> {
  return { spool, count: facts.count, duplicates: new Set(facts.duplicates), kept: null, ahead: [] };
}

/**
 * Second pass: the prepared rows chunk by chunk, in file order, with duplicates marked.
 * `lookAhead`, for chunks the first pass did not look up (a known scan): each chunk's lookup is
 * sent when the chunk before it is handed out, so a writer's queue has it ahead of that chunk's
 * commit and the answer is there when the chunk is decided. `from`: the first chunk handed out.
 */
export function* preparedChunks<A>(scan: ScannedPackage<A>, target: ImportTarget, lookAhead?: (identities: (string | null)[]) => A, from = 0): Generator<PreparedRow[]> {
  const resolve = createFieldResolver(target.definition, target.profile);
  const count = scan.spool.recordChunks?.length ?? 0;
  const prepare = (c: number): PreparedRow[] => {
    const records = scan.kept?.[c];
    let rows: PreparedRow[];
    if (records) {
      rows = prepareRecords(records, c, target, resolve);
      scan.kept![c] = []; // handed out once; let them go with the rows
    } else {
      const chunk = prepareChunk(scan.spool, c, target, resolve);
      if (!chunk.ok) throw new Error("a scanned chunk no longer parses"); // the first pass parsed the same text
      rows = chunk.rows;
    }
    for (const r of rows) if (scan.duplicates.has(r.rowIndex)) r.errors.push(duplicateIdentity(r));
    if (lookAhead && scan.ahead[c] === undefined) scan.ahead[c] = lookAhead(rows.map((r) => r.identity));
    return rows;
  };
  let next = count > from ? prepare(from) : null;
  for (let c = from; c < count; c++) {
    const rows = next!;
    next = lookAhead && c + 1 < count ? prepare(c + 1) : null;
    yield rows;
    if (!lookAhead && c + 1 < count) next = prepare(c + 1);
  }
}
