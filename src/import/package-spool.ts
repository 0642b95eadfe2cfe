import type { Issue } from "../schemas/api.js";
import { issue } from "../domain/issues.js";
import { sha256Hex } from "../support/sha256.js";
import { memoryChunks, type ChunkStore, type ChunkStoreFactory } from "./chunk-store.js";

/**
 * A package read as a stream of text pieces and cut into chunks of records, so a big upload is
 * never one string, one parsed document and its result at once. The cutter only finds where
 * each record starts and ends (strings, nesting, separators); every chunk is checked by
 * JSON.parse when it is read, so a file is refused for the same syntax errors as before.
 */
export type PackageSpool = {
  /** Top-level members other than `Records`, parsed (`Records` too when it is not an array). */
  members: Record<string, unknown>;
  /** `Records` as JSON array texts of at most `recordsPerChunk` records; null when it is no array. */
  recordChunks: ChunkStore | null;
  recordCount: number;
};
export type SpoolResult = { ok: true; spool: PackageSpool } | { ok: false; errors: Issue[] };

export const RECORDS_PER_CHUNK = 2000;

/** An uploaded package: cut into record chunks while it streamed in, and the SHA-256 of its bytes. */
export type Upload = { spool: SpoolResult; sha256: string; bytes: number };

const enum S {
  Root,
  KeyOrEnd,
  Key,
  Colon,
  Value,
  AfterValue,
  ElementOrEnd,
  Element,
  AfterElement,
  End,
  NotObject,
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const invalid = (why: string): SpoolResult => ({ ok: false, errors: [issue("invalid_package", `File is not valid JSON (${why}).`)] });

export function createPackageSpooler(opts: {
  maxDepth: number;
  recordsPerChunk?: number;
  chunks?: ChunkStoreFactory;
  /** false: every record through `scan` alone (tests compare the two cutters). */
  fastRecords?: boolean;
}) {
  const perChunk = opts.recordsPerChunk ?? RECORDS_PER_CHUNK;
  // A record is nested 2 levels deep already (the package object, Records).
  const fastDepth = opts.fastRecords === false ? 0 : opts.maxDepth - 2;
  const newChunks = opts.chunks ?? memoryChunks;
  const members: Record<string, unknown> = {};
  let chunks: ChunkStore | null = null;
  const dropChunks = () => {
    chunks?.release();
    chunks = null;
  };
  let count = 0;
  let state = S.Root;
  let offset = 0; // characters consumed by earlier pieces, for error positions
  let failure: SpoolResult | null = null;
  let firstMember = true;
  let firstElement = true;
  let key = "";

  // The value being read: its text (over pieces), nesting, and string/escape state.
  let parts: string[] = [];
  let depth = 0;
  let inString = false;
  let skipNext = false;
  let primitive = false;

  // The chunk of records being cut: text pieces, and how many records it holds.
  let chunkParts: string[] = [];
  let inChunk = 0;
  let chunkOpen = false;
  let chunkStart = -1; // where the open chunk's text starts in the current piece

  // The next backslash at or after the cursor in the current piece (-1: none; -2: not looked for).
  // Kept per piece, not per value: looking again for every record would make a big piece quadratic.
  let bs = -2;

  const fail = (why: string, at: number) => {
    failure = invalid(`${why} at position ${offset + at}`);
  };
  const closeChunk = () => {
    chunks!.push(`[${chunkParts.join("")}]`);
    chunkParts = [];
    inChunk = 0;
    chunkOpen = false;
    chunkStart = -1;
  };

  /**
   * Reads the value starting (or continuing) at `i`. Returns the index just past its end, or -1
   * when the piece ended first. `base` is the nesting outside the value, for the depth limit.
   */
  const scan = (text: string, i: number, base: number): number => {
    const n = text.length;
    while (i < n) {
      if (skipNext) {
        skipNext = false;
        i++;
        continue;
      }
      if (inString) {
        const q = text.indexOf('"', i);
        if (bs !== -1 && bs < i) bs = text.indexOf("\\", i);
        if (bs !== -1 && (q === -1 || bs < q)) {
          i = bs + 2;
          if (i > n) skipNext = true;
          continue;
        }
        if (q === -1) return -1;
        inString = false;
        i = q + 1;
        if (depth === 0) return i; // a string value
        continue;
      }
      const c = text.charCodeAt(i);
      if (primitive) {
        if (c === 44 || c === 93 || c === 125 || isSpace(c)) return i;
        i++;
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 123 || c === 91) {
        if (++depth + base > opts.maxDepth) {
          failure = { ok: false, errors: [issue("invalid_package", `File nests arrays or objects deeper than ${opts.maxDepth} levels; a package needs 4.`)] };
          return -1;
        }
      } else if (c === 125 || c === 93) {
        if (--depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  };

  /**
   * `scan` for a whole record that starts at `i` with `{`, `[` or `"`, with its state in locals:
   * the index just past the record, or -1 (nothing changed; `scan` reads it) when the record
   * does not end in this piece or nests deeper than allowed. `scan` keeps its state in the
   * closure so a value can go on in the next piece, and paid for those loads and stores on every
   * character between the strings of every record.
   */
  const recordEnd = (text: string, i: number): number => {
    const n = text.length;
    let d = 0;
    let next = bs; // the next backslash, as `bs`; written back only when the record is cut here
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        let p = i + 1;
        let q: number;
        for (;;) {
          q = text.indexOf('"', p);
          if (q === -1) return -1;
          if (next !== -1 && next < p) next = text.indexOf("\\", p);
          if (next === -1 || next > q) break;
          p = next + 2; // past the backslash and the character it escapes
          if (p >= n) return -1;
        }
        i = q + 1;
        if (d === 0) return (bs = next), i;
        continue;
      }
      if (c === 123 || c === 91) {
        if (++d > fastDepth) return -1;
      } else if ((c === 125 || c === 93) && --d === 0) return (bs = next), i + 1;
      i++;
    }
    return -1;
  };

  /** Starts reading a value whose first character is at `i`. */
  const begin = (c: number) => {
    parts = [];
    depth = 0;
    inString = false;
    skipNext = false;
    primitive = !(c === 123 || c === 91 || c === 34);
  };

  const finishMember = (): boolean => {
    const raw = parts.join("");
    try {
      members[key] = JSON.parse(raw);
    } catch (e) {
      failure = invalid(`in '${key.slice(0, 40)}': ${e instanceof SyntaxError ? e.message : "unreadable"}`);
      return false;
    }
    if (key === "Records") dropChunks();
    return true;
  };

  function push(text: string): void {
    if (failure) return;
    const n = text.length;
    let i = 0;
    bs = -2;
    chunkStart = chunkOpen ? 0 : -1;
    while (i < n && !failure) {
      switch (state) {
        case S.Root: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 123) (state = S.KeyOrEnd), i++;
          else (state = S.NotObject), (parts = []);
          break;
        }
        case S.NotObject:
          parts.push(i === 0 ? text : text.slice(i));
          i = n;
          break;
        case S.KeyOrEnd: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 125 && firstMember) (state = S.End), i++;
          else if (c === 34) {
            begin(c);
            inString = true;
            state = S.Key;
            parts.push('"');
            i++;
          } else fail(`unexpected '${text[i]}' where a member name was expected`, i);
          break;
        }
        case S.Key: {
          const start = i;
          const end = scan(text, i, 1);
          if (end === -1) {
            parts.push(text.slice(start));
            i = n;
          } else {
            parts.push(text.slice(start, end));
            try {
              key = JSON.parse(parts.join("")) as string;
            } catch {
              fail("a member name is not a valid string", end);
            }
            state = S.Colon;
            i = end;
          }
          break;
        }
        case S.Colon: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 58) (state = S.Value), (parts = []), (depth = -1), i++;
          else fail(`expected ':' after '${key.slice(0, 40)}'`, i);
          break;
        }
        case S.Value: {
          if (depth === -1) {
            const c = text.charCodeAt(i);
            if (isSpace(c)) {
              i++;
              break;
            }
            if (key === "Records" && c === 91) {
              // Records: cut into chunks instead of parsing whole; a later duplicate member wins, as in JSON.parse.
              delete members.Records;
              dropChunks();
              chunks = newChunks();
              count = 0;
              chunkParts = [];
              inChunk = 0;
              chunkOpen = false;
              firstElement = true;
              state = S.ElementOrEnd;
              i++;
              break;
            }
            begin(c);
          }
          const start = i;
          const end = scan(text, i, 1);
          if (end === -1) {
            if (!failure) parts.push(text.slice(start));
            i = n;
          } else {
            parts.push(text.slice(start, end));
            if (!finishMember()) break;
            state = S.AfterValue;
            i = end;
          }
          break;
        }
        case S.AfterValue: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 44) (state = S.KeyOrEnd), (firstMember = false), i++;
          else if (c === 125) (state = S.End), i++;
          else fail(`expected ',' or '}' after '${key.slice(0, 40)}'`, i);
          break;
        }
        case S.ElementOrEnd: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 93 && firstElement) {
            state = S.AfterValue;
            i++;
          } else if (c === 93 || c === 44) fail(`unexpected '${text[i]}' in Records`, i);
          else {
            begin(c);
            if (!chunkOpen) (chunkOpen = true), (chunkStart = i);
            state = S.Element;
          }
          break;
        }
        case S.Element: {
          // A record's first character (not one continued from the last piece): the fast cutter first.
          let end = depth === 0 && !inString && !primitive && !skipNext && fastDepth > 0 ? recordEnd(text, i) : -1;
          if (end === -1) end = scan(text, i, 2);
          if (end === -1) {
            i = n;
            break;
          }
          i = end;
          count++;
          firstElement = false;
          if (++inChunk === perChunk) {
            chunkParts.push(text.slice(chunkStart, end));
            closeChunk();
          }
          state = S.AfterElement;
          break;
        }
        case S.AfterElement: {
          const c = text.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 44) (state = S.ElementOrEnd), i++;
          else if (c === 93) {
            if (chunkOpen) {
              chunkParts.push(text.slice(chunkStart, i));
              closeChunk();
            }
            state = S.AfterValue;
            i++;
          } else fail(`expected ',' or ']' between records`, i);
          break;
        }
        case S.End: {
          if (isSpace(text.charCodeAt(i))) i++;
          else fail("unexpected data after the package", i);
          break;
        }
      }
    }
    // A chunk still open at the end of the piece keeps what this piece held of it.
    if (chunkOpen && !failure) chunkParts.push(chunkStart === 0 ? text : text.slice(chunkStart));
    offset += n;
  }

  function end(): SpoolResult {
    const r = result();
    if (!r.ok) dropChunks(); // a refused file's chunks are not read again
    return r;
  }

  function result(): SpoolResult {
    if (failure) return failure;
    if (state === S.NotObject) {
      try {
        JSON.parse(parts.join(""));
      } catch (e) {
        return invalid(e instanceof SyntaxError ? e.message : "unreadable");
      }
      return { ok: false, errors: [issue("invalid_package", "File is not a JSON export package: expected an object.")] };
    }
    if (state !== S.End) return invalid(state === S.Root ? "the file is empty" : "unexpected end of data");
    return { ok: true, spool: { members, recordChunks: chunks, recordCount: chunks ? count : 0 } };
  }

  return { push, end, release: dropChunks };
}

/** Lets go of an upload's spooled chunks once its request is done (a spill file is removed). */
export function releaseUpload(upload: Upload | null | undefined): void {
  if (upload?.spool.ok) upload.spool.spool.recordChunks?.release();
}

/** Reads one chunk of records; a syntax error names the records it lies in. */
export function parseChunk(spool: PackageSpool, index: number, perChunk = RECORDS_PER_CHUNK): { ok: true; records: unknown[] } | { ok: false; errors: Issue[] } {
  return parseChunkText(spool.recordChunks!.get(index), index, spool.recordCount, perChunk);
}

/** parseChunk on a chunk's text already read (`recordCount`: the file's, for the error's range). */
export function parseChunkText(text: string, index: number, recordCount: number, perChunk = RECORDS_PER_CHUNK): { ok: true; records: unknown[] } | { ok: false; errors: Issue[] } {
  try {
    return { ok: true, records: JSON.parse(text) as unknown[] };
  } catch (e) {
    const first = index * perChunk + 1;
    const last = Math.min(recordCount, first + perChunk - 1);
    const why = e instanceof SyntaxError ? e.message : "unreadable";
    return { ok: false, errors: [issue("invalid_package", `File is not valid JSON (in Records ${first}–${last}: ${why}).`)] };
  }
}

/** A whole package text as a spool: the buffered path and tests. */
export function spoolText(text: string, maxDepth: number, recordsPerChunk?: number): SpoolResult {
  const s = createPackageSpooler({ maxDepth, recordsPerChunk });
  s.push(text);
  return s.end();
}

/** A package already in memory as an Upload (tests and callers that hold the text). */
export async function uploadOfText(text: string, maxDepth = 64): Promise<Upload> {
  const bytes = new TextEncoder().encode(text);
  return { spool: spoolText(text, maxDepth), sha256: await sha256Hex(bytes), bytes: bytes.length };
}
