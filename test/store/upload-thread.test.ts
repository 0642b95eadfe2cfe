import fc from "fast-check";
import { HonoRequest } from "hono/request";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImportForm, type ImportFormResult, type UploadReaderFactory } from "../../src/http/import-form.js";
import { createUploadThread, MAX_BYTES_IN_FLIGHT } from "../../src/runtime/upload-thread.js";
import { nodeSha256 } from "../../src/runtime/node-sha256.js";
import { streamInPieces } from "../support/pieces.js";

/**
 * The upload thread reads a plan/apply form's File part (hash, decode, cut into record chunks) for
 * the request's thread. What it gives must be what the request's thread gives for the same bytes.
 */
const thread = createUploadThread({ maxBytes: 8 * 1024 * 1024 });
beforeAll(() => thread.ready);
afterAll(() => thread.close());

const B = "----upload-thread-boundary";
const enc = new TextEncoder();
const form = (file: string) => enc.encode(`--${B}\r\nContent-Disposition: form-data; name="ProfileId"\r\n\r\nby_email\r\n--${B}\r\nContent-Disposition: form-data; name="File"; filename="p.json"\r\n\r\n${file}\r\n--${B}--\r\n`);

/** A request whose body arrives in pieces of the given sizes (cycled), with its Content-Length. */
function request(bytes: Uint8Array, sizes: number[]): HonoRequest {
  const body = streamInPieces(bytes, sizes);
  const headers = { "content-type": `multipart/form-data; boundary=${B}`, "content-length": String(bytes.length) };
  return new HonoRequest(new Request("http://127.0.0.1/plan", { method: "POST", headers, body, duplex: "half" } as RequestInit));
}

/** What a caller sees of a read form: fields, and the file's hash, size, members, count and every chunk's text. */
function seen(r: ImportFormResult) {
  if (!r.ok) return r;
  const file = r.form.file;
  if (!file) return { fields: r.form.fields, file: null };
  const spool = file.spool.ok
    ? (({ members, recordCount, recordChunks }) => ({ members, recordCount, chunks: recordChunks && Array.from({ length: recordChunks.length }, (_, i) => recordChunks.get(i)) }))(file.spool.spool)
    : file.spool;
  return { fields: r.form.fields, file: { sha256: file.sha256, bytes: file.bytes, spool } };
}

let readThere = 0;
const counted: UploadReaderFactory = (opts) => {
  const r = thread.reader(opts);
  if (r) readThere++;
  return r;
};

async function readBoth(file: string, sizes: number[]) {
  const bytes = form(file);
  const here = seen(await readImportForm(request(bytes, sizes), { maxBytes: 1 << 30, sha256: nodeSha256 }));
  const before = readThere;
  const there = seen(await readImportForm(request(bytes, sizes), { maxBytes: 1 << 30, reader: counted }));
  expect(readThere).toBe(before + 1);
  return { here, there };
}

const people = (n: number) => JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: n }, (_, i) => ({ Fields: { email: `p${i}@example.at`, first_name: `Zoë "${i}" {✓}`, note: i % 3 ? null : `a\\b\u00e9\n` } })) });

describe("the upload thread", () => {
  it("reads a package of several chunks as the request's thread does, however the body is cut", async () => {
    const file = people(4_500);
    for (const sizes of [[65_536], [1, 7, 4_093], [333_333]]) {
      const { here, there } = await readBoth(file, sizes);
      expect(there).toEqual(here);
      expect((here as { file: { spool: { chunks: string[] } } }).file.spool.chunks).toHaveLength(3);
    }
  });

  it("gives the same spool, errors and hash for any package text, valid or not, cut anywhere", async () => {
    const value = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.integer(), fc.constant(null), fc.boolean());
    const records = fc.array(fc.record({ Fields: fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 }) }), { maxLength: 12 });
    const text = fc.oneof(
      records.map((r) => JSON.stringify({ FormatVersion: 1, Records: r })),
      fc.tuple(records, fc.nat()).map(([r, cut]) => {
        const t = JSON.stringify({ Records: r, FormatVersion: 1 });
        return t.slice(0, cut % (t.length + 1)); // cut short
      }),
      fc.tuple(records, fc.nat(), fc.constantFrom("}", "]", '"', "\\", "[[[[", ",")).map(([r, at, junk]) => {
        const t = JSON.stringify({ FormatVersion: 1, Records: r });
        const i = at % (t.length + 1);
        return t.slice(0, i) + junk + t.slice(i); // something in the way
      }),
    );
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }), async (file, sizes) => {
        const { here, there } = await readBoth(file, sizes);
        expect(there).toEqual(here);
      }),
      { numRuns: 150 },
    );
  });

  it("takes only bodies that declare a length within its limit", () => {
    expect(thread.reader({ maxDepth: 64, declaredBytes: null })).toBeNull();
    expect(thread.reader({ maxDepth: 64, declaredBytes: 8 * 1024 * 1024 + 1 })).toBeNull();
    const r = thread.reader({ maxDepth: 64, declaredBytes: 8 * 1024 * 1024 });
    expect(r).not.toBeNull();
    r!.release();
  });

  it("has the body read no further while more than MAX_BYTES_IN_FLIGHT wait on the thread", async () => {
    const r = thread.reader({ maxDepth: 64, declaredBytes: 1 })!;
    const piece = new Uint8Array(256 * 1024).fill(32); // whitespace before the package
    let pushed = 0;
    // Bounded, so a thread that never asks the body to wait fails here instead of looping.
    for (let i = 0; i < 1_000 && r.room!() === null; i++) {
      r.push(piece);
      pushed += piece.length;
    }
    expect(pushed).toBeGreaterThan(MAX_BYTES_IN_FLIGHT);
    expect(pushed).toBeLessThanOrEqual(MAX_BYTES_IN_FLIGHT + piece.length);
    await r.room!();
    expect(r.room!()).toBeNull();
    r.push(enc.encode('{"FormatVersion":1,"Records":[]}'));
    const upload = await r.end();
    expect(upload.bytes).toBe(pushed + 32);
    expect(upload.spool.ok && upload.spool.spool.recordCount).toBe(0);
  });

  it("leaves uploads to the request's thread until it has loaded", async () => {
    const starting = createUploadThread({ maxBytes: 1024 });
    expect(starting.reader({ maxDepth: 64, declaredBytes: 100 })).toBeNull();
    await starting.ready;
    const r = starting.reader({ maxDepth: 64, declaredBytes: 100 });
    expect(r).not.toBeNull();
    r!.release();
    await starting.close();
  });

  it("reports a thread that fails to start, once, and leaves every upload to the request's thread", async () => {
    const failures: Error[] = [];
    const broken = createUploadThread({ maxBytes: 1024, module: new URL("../support/failing-worker.mjs", import.meta.url), onFailure: (e) => failures.push(e) });
    await broken.ready;
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/boom/);
    expect(broken.reader({ maxDepth: 64, declaredBytes: 100 })).toBeNull();
    await broken.close();
    expect(failures).toHaveLength(1);
  });

  it("once stopped, fails the upload it was reading and leaves the next ones to the request's thread", async () => {
    const failures: Error[] = [];
    const stopping = createUploadThread({ maxBytes: 1024, onFailure: (e) => failures.push(e) });
    await stopping.ready;
    const r = stopping.reader({ maxDepth: 64, declaredBytes: 100 })!;
    r.push(enc.encode('{"FormatVersion":1,"Records":['));
    await stopping.close();
    await expect(r.end()).rejects.toThrow(/upload thread/);
    expect(stopping.reader({ maxDepth: 64, declaredBytes: 100 })).toBeNull();
    expect(failures).toEqual([]); // closed on purpose: nothing to report
    // The form reader then reads it itself.
    const bytes = form(people(3));
    const read = seen(await readImportForm(request(bytes, [64]), { maxBytes: 1 << 20, reader: stopping.reader }));
    expect(read).toEqual(seen(await readImportForm(request(bytes, [64]), { maxBytes: 1 << 20 })));
  });
});
