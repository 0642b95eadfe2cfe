import { decodeField, defaultIsFile, make as makeParser, type MultipartError } from "multipasta";
import type { HonoRequest } from "hono";
import { issue } from "../domain/issues.js";
import type { ChunkStoreFactory } from "../import/chunk-store.js";
import type { Upload } from "../import/package-spool.js";
import { createUploadReader, type UploadReader } from "../import/upload-reader.js";
import { MAX_PACKAGE_DEPTH } from "../import/package.js";
import type { Issue } from "../schemas/api.js";
import type { IncrementalHash } from "../support/sha256.js";

export type ImportForm = { fields: Record<string, string[]>; file: Upload | null };
export type ImportFormResult = { ok: true; form: ImportForm } | { ok: false; status: 400 | 413; errors: Issue[] };

const FILE = "File";
const MAX_PARTS = 1000;

/**
 * Reads uploads elsewhere (the Node server's upload thread): null when it cannot take one now,
 * and the upload is read here. Its chunks land in `chunks` stores as here.
 */
export type UploadReaderFactory = (opts: { maxDepth: number; chunks?: ChunkStoreFactory; declaredBytes: number | null }) => UploadReader | null;

/**
 * Where the File part's record chunks go, given the fields read before it and the body's
 * Content-Length (a plan starts on the chunks while the rest of the file comes in:
 * plan-early.ts); the form's `chunks` when undefined.
 */
export type ChunksFor = (fieldsBefore: Readonly<Record<string, string[]>>, declaredBytes: number | null) => ChunkStoreFactory | undefined;

type FormOptions = {
  maxBytes: number;
  sha256?: () => IncrementalHash;
  chunks?: ChunkStoreFactory;
  reader?: UploadReaderFactory;
  chunksFor?: ChunksFor;
};
type BodyCache = { formData?: Promise<FormData>; arrayBuffer?: Promise<ArrayBuffer> };

/**
 * Reads a plan/apply form without buffering the upload: the multipart body is parsed as it
 * arrives and each piece of the File part goes straight into the hash and the package spool. A
 * body an earlier middleware already read (Idempotency-Key fingerprints the form) is taken from
 * its cache instead.
 */
export async function readImportForm(req: HonoRequest, opts: FormOptions): Promise<ImportFormResult> {
  const cache = (req as unknown as { bodyCache: BodyCache }).bodyCache;
  if (cache.formData) return readParsedForm(await cache.formData, opts);
  const type = req.header("content-type") ?? "";
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(type))
    return { ok: false, status: 400, errors: [issue("invalid_request", "The request must be multipart/form-data with a File part holding the JSON export package.")] };
  // Bytes an earlier reader kept (a form it could not parse) are read from its copy.
  const body = cache.arrayBuffer ? new Response(await cache.arrayBuffer).body : req.raw.body;
  const length = Number(req.header("content-length") ?? Number.NaN);
  return readStreamedForm(type, body, Number.isSafeInteger(length) && length >= 0 ? length : null, opts);
}

async function readStreamedForm(type: string, body: ReadableStream<Uint8Array> | null, declaredBytes: number | null, opts: FormOptions): Promise<ImportFormResult> {
  // No prototype: a part named "toString" or "__proto__" is just a field.
  const fields: Record<string, string[]> = Object.create(null);
  const st: { reading: UploadReader | null; problem: MultipartError | null; complete: boolean } = { reading: null, problem: null, complete: false };
  const parser = makeParser({
    headers: { "content-type": type },
    // A part named File is the package even when sent as a plain field.
    isFile: (info) => info.name === FILE || defaultIsFile(info),
    maxParts: MAX_PARTS,
    maxTotalSize: opts.maxBytes,
    maxPartSize: opts.maxBytes,
    maxFieldSize: opts.maxBytes,
    onField: (info, value) => void (fields[info.name] ??= []).push(decodeField(info, value)),
    onFile(info) {
      if (info.name !== FILE || st.reading) return ignoreChunk; // other files, and a second File, are not read
      const chunks = opts.chunksFor?.(fields, declaredBytes) ?? opts.chunks;
      const r = (st.reading = opts.reader?.({ maxDepth: MAX_PACKAGE_DEPTH, chunks, declaredBytes }) ?? createUploadReader({ maxDepth: MAX_PACKAGE_DEPTH, sha256: opts.sha256, chunks }));
      return (chunk) => {
        if (chunk && !st.problem) r.push(chunk);
      };
    },
    onError: (e) => void (st.problem ??= e),
    onDone: () => void (st.complete = true),
  });

  const reader = body?.getReader();
  try {
    for (let next = await reader?.read(); next && !next.done && !st.problem; next = await reader!.read()) {
      parser.write(next.value);
      const room = st.reading?.room?.();
      if (room) await room;
    }
    if (!st.problem) parser.end();
  } catch (error) {
    st.reading?.release(); // a body that broke off: what was read of it goes
    throw error;
  } finally {
    if (st.problem) await reader?.cancel().catch(() => {});
  }
  if (st.problem || !st.complete) {
    st.reading?.release(); // a refused body's chunks are not read again
    if (st.problem?._tag === "ReachedLimit" && st.problem.limit !== "MaxParts")
      return { ok: false, status: 413, errors: [issue("invalid_request", `The upload is larger than ${opts.maxBytes} bytes (MAX_UPLOAD_BYTES).`)] };
    return { ok: false, status: 400, errors: [issue("invalid_request", "The multipart/form-data body could not be read.")] };
  }
  return { ok: true, form: { fields, file: st.reading ? await st.reading.end() : null } };
}

/** A form an earlier middleware parsed (the web-standard FormData) */
async function readParsedForm(form: FormData, opts: FormOptions): Promise<ImportFormResult> {
  const fields: Record<string, string[]> = Object.create(null);
  let file: Upload | null = null;
  for (const [name, value] of form.entries()) {
    if (name === FILE && file === null) {
      const r = createUploadReader({ maxDepth: MAX_PACKAGE_DEPTH, sha256: opts.sha256, chunks: opts.chunks });
      if (typeof value === "string") r.push(new TextEncoder().encode(value));
      else {
        const reader = value.stream().getReader();
        for (let next = await reader.read(); !next.done; next = await reader.read()) r.push(next.value);
      }
      file = await r.end();
    } else if (typeof value === "string") (fields[name] ??= []).push(value);
  }
  return { ok: true, form: { fields, file } };
}

const ignoreChunk = () => {};
