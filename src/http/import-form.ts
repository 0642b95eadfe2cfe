import { MultipartParseError, parseMultipartRequest } from "@remix-run/multipart-parser";
import type { HonoRequest } from "hono";
import { issue } from "../domain/issues.js";
import type { ChunkStoreFactory } from "../import/chunk-store.js";
import { createPackageSpooler, releaseUpload, type Upload } from "../import/package-spool.js";
import { MAX_PACKAGE_DEPTH } from "../import/package.js";
import type { Issue } from "../schemas/api.js";
import { createSha256, type IncrementalHash } from "../support/sha256.js";

export type ImportForm = { fields: Record<string, string[]>; file: Upload | null };
export type ImportFormResult = { ok: true; form: ImportForm } | { ok: false; status: 400 | 413; errors: Issue[] };

const FILE = "File";
const MAX_PARTS = 1000;

/** One upload's bytes → hash + UTF-8 text → spool; each piece is let go once it is read. */
function uploadReader(hash: IncrementalHash, chunks: ChunkStoreFactory | undefined) {
  const decoder = new TextDecoder();
  const spooler = createPackageSpooler({ maxDepth: MAX_PACKAGE_DEPTH, chunks });
  let bytes = 0;
  return {
    push(piece: Uint8Array) {
      bytes += piece.length;
      hash.update(piece);
      spooler.push(decoder.decode(piece, { stream: true }));
    },
    async end(): Promise<Upload> {
      spooler.push(decoder.decode());
      return { spool: spooler.end(), sha256: await hash.hex(), bytes };
    },
    release: spooler.release,
  };
}

/**
 * Reads a plan/apply form without buffering the upload: the multipart body is parsed as it
 * arrives and the File part goes straight into the package spool. A body an earlier middleware
 * already read (Idempotency-Key fingerprints the form) is taken from its cache instead.
 */
export async function readImportForm(
  req: HonoRequest,
  opts: { maxBytes: number; sha256?: () => IncrementalHash; chunks?: ChunkStoreFactory },
): Promise<ImportFormResult> {
  const newHash = opts.sha256 ?? createSha256;
  // No prototype: a part named "toString" or "__proto__" is just a field.
  const fields: Record<string, string[]> = Object.create(null);
  let file: Upload | null = null;
  const cache = (req as unknown as { bodyCache: { formData?: Promise<FormData>; arrayBuffer?: Promise<ArrayBuffer> } }).bodyCache;
  const cached = cache.formData;
  if (cached) {
    for (const [name, value] of (await cached).entries()) {
      if (name === FILE && file === null) {
        const r = uploadReader(newHash(), opts.chunks);
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
  const type = req.header("content-type") ?? "";
  if (!/^multipart\/form-data\s*;.*boundary=/i.test(type))
    return { ok: false, status: 400, errors: [issue("invalid_request", "The request must be multipart/form-data with a File part holding the JSON export package.")] };
  let reading: ReturnType<typeof uploadReader> | null = null;
  try {
    // Bytes an earlier reader kept (a form it could not parse) are read from its copy.
    const source = cache.arrayBuffer ? new Request(req.raw.url, { method: req.method, headers: req.raw.headers, body: await cache.arrayBuffer }) : req.raw;
    for await (const part of parseMultipartRequest(source, { maxFileSize: opts.maxBytes, maxTotalSize: opts.maxBytes, maxParts: MAX_PARTS })) {
      const name = part.name ?? "";
      if (name === FILE && file === null) {
        const r = (reading = uploadReader(newHash(), opts.chunks));
        const pieces = part.content;
        for (let i = 0; i < pieces.length; i++) {
          r.push(pieces[i]!);
          pieces[i] = EMPTY; // the spool holds the text now; the bytes can go
        }
        file = await r.end();
      } else if (!part.isFile) (fields[name] ??= []).push(part.text);
    }
  } catch (e) {
    reading?.release(); // a refused body's chunks are not read again
    releaseUpload(file);
    if (!(e instanceof Error)) throw e;
    if (/exceeds maximum allowed size/i.test(e.message))
      return { ok: false, status: 413, errors: [issue("invalid_request", `The upload is larger than ${opts.maxBytes} bytes (MAX_UPLOAD_BYTES).`)] };
    if (e instanceof MultipartParseError)
      return { ok: false, status: 400, errors: [issue("invalid_request", "The multipart/form-data body could not be read.")] };
    throw e;
  }
  return { ok: true, form: { fields, file } };
}

const EMPTY = new Uint8Array(0);
