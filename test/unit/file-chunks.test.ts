import fc from "fast-check";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPackageSpooler, parseChunk } from "../../src/import/package-spool.js";
import { fileChunks } from "../../src/runtime/file-chunks.js";

const dir = mkdtempSync(join(tmpdir(), "file-chunks-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Descriptors of this process that point at a spool file (unlinked files read "… (deleted)"). */
const openSpoolFiles = () =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).includes("import-spool-");
    } catch {
      return false;
    }
  }).length;

describe("file chunk store", () => {
  it("gives back every chunk exactly, the first ones from memory and the rest from its file", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 60 }), { maxLength: 30 }), fc.nat(200), (texts, memoryBytes) => {
        const store = fileChunks({ dir, memoryBytes })();
        for (const t of texts) store.push(t);
        expect(store.length).toBe(texts.length);
        expect(texts.map((_, i) => store.get(i))).toEqual(texts);
        store.release();
      }),
    );
  });

  it("leaves no file behind while it holds chunks, and closes its file on release", () => {
    const before = openSpoolFiles();
    const store = fileChunks({ dir, memoryBytes: 0 })();
    store.push("[1,2]");
    store.push('["é","😀"]');
    expect(readdirSync(dir)).toEqual([]); // unlinked as soon as it was opened
    expect(openSpoolFiles()).toBe(before + 1);
    expect(store.get(1)).toBe('["é","😀"]');
    store.release();
    expect(openSpoolFiles()).toBe(before);
    expect(store.length).toBe(0);
  });

  it("keeps chunks in memory when its folder cannot be written", () => {
    const store = fileChunks({ dir: join(dir, "missing", "folder"), memoryBytes: 0 })();
    store.push("[1]");
    store.push("[2]");
    expect([store.get(0), store.get(1)]).toEqual(["[1]", "[2]"]);
    expect(openSpoolFiles()).toBe(0);
    store.release();
  });

  it("serves a spooled package read exactly as JSON.parse reads it", () => {
    const records = Array.from({ length: 25 }, (_, i) => ({ Fields: { n: i, name: `Zoë ${"✓".repeat(i)}`, q: 'a"b\\c' } }));
    const text = JSON.stringify({ FormatVersion: 1, Records: records });
    const s = createPackageSpooler({ maxDepth: 64, recordsPerChunk: 4, chunks: fileChunks({ dir, memoryBytes: 100 }) });
    for (let at = 0; at < text.length; at += 37) s.push(text.slice(at, at + 37));
    const r = s.end();
    if (!r.ok) throw new Error("refused");
    const back = Array.from({ length: r.spool.recordChunks!.length }, (_, i) => parseChunk(r.spool, i, 4)).flatMap((c) => (c.ok ? c.records : []));
    expect(back).toEqual(records);
    expect(openSpoolFiles()).toBe(1);
    s.release();
    expect(openSpoolFiles()).toBe(0);
  });

  it("lets go of its file when the package is refused", () => {
    const s = createPackageSpooler({ maxDepth: 64, recordsPerChunk: 2, chunks: fileChunks({ dir, memoryBytes: 0 }) });
    s.push('{"Records":[{"a":1},{"a":2},{"a":3},{"a":4},{"a":5}');
    expect(openSpoolFiles()).toBe(1);
    expect(s.end().ok).toBe(false); // the array never ends
    expect(openSpoolFiles()).toBe(0);
  });
});
