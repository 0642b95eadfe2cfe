import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPackageSpooler, parseChunk, type SpoolResult } from "../../src/import/package-spool.js";

/** Feeds `text` in the given piece sizes, as a network stream would. */
function spoolPieces(text: string, sizes: number[], perChunk = 3): SpoolResult {
  const s = createPackageSpooler({ maxDepth: 64, recordsPerChunk: perChunk });
  let at = 0;
  for (const size of sizes) {
    if (at >= text.length) break;
    s.push(text.slice(at, at + size));
    at += size;
  }
  if (at < text.length) s.push(text.slice(at));
  return s.end();
}

/** What the spooled package reads as: the members with all records parsed back, or null when refused. */
function readBack(r: SpoolResult, perChunk = 3): unknown {
  if (!r.ok) return null;
  const { members, recordChunks } = r.spool;
  if (!recordChunks) return members;
  const records: unknown[] = [];
  for (let i = 0; i < recordChunks.length; i++) {
    const c = parseChunk(r.spool, i, perChunk);
    if (!c.ok) return null;
    records.push(...c.records);
  }
  expect(records.length).toBe(r.spool.recordCount);
  return { ...members, Records: records };
}

const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 400 });

describe("package spool", () => {
  it("reads any package exactly as JSON.parse does, however the text is cut into pieces", () => {
    const doc = fc.record({
      FormatVersion: fc.jsonValue({ maxDepth: 1 }),
      Records: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 12 }),
      Entity: fc.jsonValue({ maxDepth: 2 }),
    });
    fc.assert(
      fc.property(doc, fc.constantFrom(0, 1, 2, "\t"), sizes, (d, indent, cut) => {
        const text = JSON.stringify(d, null, indent);
        expect(readBack(spoolPieces(text, cut))).toEqual(JSON.parse(text));
      }),
      { numRuns: 400 },
    );
  });

  it("refuses a damaged file exactly when JSON.parse refuses it", () => {
    const doc = fc.record({ FormatVersion: fc.constant(1), Records: fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 8 }) });
    fc.assert(
      fc.property(doc, fc.nat(), fc.constantFrom("delete", "insert"), fc.constantFrom(",", "]", "}", "{", "[", '"', "\\", ":", "x", " "), sizes, (d, at, how, ch, cut) => {
        const base = JSON.stringify(d);
        const p = at % base.length;
        const text = how === "delete" ? base.slice(0, p) + base.slice(p + 1) : base.slice(0, p) + ch + base.slice(p);
        let expected: unknown = null;
        try {
          expected = JSON.parse(text);
        } catch {
          /* refused */
        }
        const got = readBack(spoolPieces(text, cut));
        if (expected === null || typeof expected !== "object" || Array.isArray(expected)) expect(got).toBeNull();
        else expect(got).toEqual(expected);
      }),
      { numRuns: 1500 },
    );
  });

  it("keeps records in chunks of the given size, and counts them", () => {
    const records = Array.from({ length: 7 }, (_, i) => ({ Fields: { n: i, s: `a"b\\c,]}${i}` } }));
    const r = spoolPieces(JSON.stringify({ Records: records, FormatVersion: 1 }), [5, 5, 5, 1, 1, 1, 100], 3);
    expect(r.ok && r.spool.recordChunks!.length).toBe(3);
    expect(r.ok && r.spool.recordCount).toBe(7);
    expect(readBack(r)).toEqual({ FormatVersion: 1, Records: records });
  });

  it("says what is wrong, and where", () => {
    const r = spoolPieces('{"FormatVersion": 1, "Records": [{"Fields": {}} {"Fields": {}}]}', [1000]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]!.Message).toMatch(/not valid JSON \(expected ',' or '\]' between records at position 48\)/);
    const empty = spoolPieces("", [1]);
    expect(!empty.ok && empty.errors[0]!.Message).toMatch(/the file is empty/);
    const notObject = spoolPieces("[1, 2]", [2]);
    expect(!notObject.ok && notObject.errors[0]!.Message).toMatch(/expected an object/);
  });

  it("the fast record cutter cuts exactly where scan alone does: same chunks, counts and errors, any pieces, depth limits, damage", () => {
    // Strings with escapes, quotes and brackets inside, so a wrong skip shows as a wrong cut.
    const tricky = fc.constantFrom('a"b', "c\\d", "\\", '\\"', "]}", "{[", "ü\u0001", "");
    const value = fc.oneof(fc.jsonValue({ maxDepth: 4 }), tricky, fc.dictionary(tricky, fc.oneof(tricky, fc.jsonValue({ maxDepth: 2 }))));
    const doc = fc.record({ FormatVersion: fc.constant(1), Records: fc.array(value, { maxLength: 12 }) });
    const cutBy = (text: string, cut: number[], maxDepth: number, fastRecords: boolean) => {
      const s = createPackageSpooler({ maxDepth, recordsPerChunk: 3, fastRecords });
      let at = 0;
      for (const size of cut) {
        if (at >= text.length) break;
        s.push(text.slice(at, at + size));
        at += size;
      }
      if (at < text.length) s.push(text.slice(at));
      const r = s.end();
      if (!r.ok) return r;
      const chunks = r.spool.recordChunks;
      return { members: r.spool.members, count: r.spool.recordCount, chunks: chunks ? Array.from({ length: chunks.length }, (_, i) => chunks.get(i)) : null };
    };
    fc.assert(
      fc.property(doc, fc.nat(), fc.constantFrom("none", "delete", "insert"), fc.constantFrom(",", "]", "}", "{", "[", '"', "\\", "x"), fc.integer({ min: 1, max: 8 }), sizes, fc.constantFrom(0, 1), (d, at, how, ch, maxDepth, cut, indent) => {
        const base = JSON.stringify(d, null, indent);
        const p = at % base.length;
        const text = how === "none" ? base : how === "delete" ? base.slice(0, p) + base.slice(p + 1) : base.slice(0, p) + ch + base.slice(p);
        expect(cutBy(text, cut, maxDepth, true)).toEqual(cutBy(text, cut, maxDepth, false));
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses nesting deeper than the limit without reading further", () => {
    const deep = `{"Records": [${"[".repeat(70)}${"]".repeat(70)}]}`;
    const r = spoolPieces(deep, [7]);
    expect(!r.ok && r.errors[0]!.Message).toMatch(/deeper than 64 levels/);
  });
});
