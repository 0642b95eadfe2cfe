import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSelection } from "../../src/import/selection.js";

const rows = (raw: Parameters<typeof parseSelection>[0], total = 10) => {
  const r = parseSelection(raw, total);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be accepted: ${r.errors[0]?.Message}`);
  return r.rows;
};
const refused = (raw: Parameters<typeof parseSelection>[0], total = 10) => {
  const r = parseSelection(raw, total);
  if (r.ok) throw new Error(`expected ${JSON.stringify(raw)} to be refused, got ${JSON.stringify(r.rows)}`);
  expect(r.errors).toHaveLength(1);
  // invalid_selection: Type 12, Package, Error, about the form field
  expect(r.errors[0]).toMatchObject({ Type: 12, Code: "invalid_selection", Category: 0, Severity: 1, FieldKey: "SelectedRowIndexes", RowIndex: null });
  return r.errors[0]!;
};

describe("parseSelection (SPEC §5 SelectedRowIndexes)", () => {
  describe("accepted forms", () => {
    it("a single index", () => expect(rows("3")).toEqual([3]));
    it("a comma-separated list, returned sorted", () => expect(rows("5,1,3")).toEqual([1, 3, 5]));
    it("a repeated field", () => expect(rows(["2", "1"])).toEqual([1, 2]));
    it("a repeated field whose values are lists", () => expect(rows(["1,2", "4"])).toEqual([1, 2, 4]));
    it("a range 3-7", () => expect(rows("3-7")).toEqual([3, 4, 5, 6, 7]));
    it("a one-row range 4-4", () => expect(rows("4-4")).toEqual([4]));
    it("ranges and single rows mixed", () => expect(rows("1, 3-4 ,9")).toEqual([1, 3, 4, 9]));
    it("spaces around items and inside ranges", () => expect(rows(["  2 ", " 5 - 6 "])).toEqual([2, 5, 6]));
    it("the first and the last row", () => expect(rows("1,10")).toEqual([1, 10]));
    it("every row", () => expect(rows("1-10")).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });

  describe("empty → invalid_selection (apply changes data, so the client says which rows)", () => {
    it.each([[undefined], [null], [""], ["   "], [[]], [[""]], [","], [" , "]])("%j", (raw) => {
      expect(refused(raw).Message).toMatch(/required/);
    });
  });

  describe("malformed → invalid_selection", () => {
    it.each([["a"], ["3-"], ["-3"], ["0"], ["0-2"], ["7-3"], ["1.5"], ["1;2"], ["1 2"], ["3--5"], ["1-2-3"], ["+1"], ["x-y"], ["1e2"], [["1", "b"]]])("%j", (raw) => {
      refused(raw);
    });
  });

  describe("duplicates → invalid_selection", () => {
    it.each([["1,1"], [["2", "2"]], ["3-5,4"], ["1-4,3-6"], ["2, 1-3"], [["1-2", "2"]]])("%j", (raw) => {
      expect(refused(raw).Message).toMatch(/more than once/);
    });
  });

  describe("out of range → invalid_selection", () => {
    it.each([["11"], ["9-11"], ["1,99"], ["99999999999999999999"]])("%j in a file of 10 rows", (raw) => {
      expect(refused(raw).Message).toMatch(/out of range/);
    });
    it("any row of an empty file", () => {
      refused("1", 0);
    });
    it("a huge range is refused without enumerating it", () => {
      const t = Date.now();
      refused("1-9999999999", 10);
      refused("1-50000000", 60_000_000);
      expect(Date.now() - t).toBeLessThan(1000);
    });
  });

  describe("properties", () => {
    it("any set of distinct in-range indexes, written as a comma list in any order, round-trips sorted", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 500 }).chain((total) =>
            fc.tuple(fc.constant(total), fc.uniqueArray(fc.integer({ min: 1, max: total }), { minLength: 1, maxLength: Math.min(total, 60) })),
          ),
          fc.boolean(),
          ([total, picked], spaced) => {
            const text = picked.join(spaced ? " , " : ",");
            expect(rows(text, total)).toEqual([...picked].sort((a, b) => a - b));
            // the same rows as a repeated field
            expect(rows(picked.map(String), total)).toEqual([...picked].sort((a, b) => a - b));
          },
        ),
        { numRuns: 300 },
      );
    });

    it("a list of disjoint ranges equals the union of their rows", () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 2, maxLength: 20 }), (cuts) => {
          const c = [...cuts].sort((a, b) => a - b);
          const ranges: [number, number][] = [];
          for (let i = 0; i + 1 < c.length; i += 2) ranges.push([c[i]!, c[i + 1]!]);
          const expected = ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, k) => a + k));
          expect(rows(ranges.map(([a, b]) => `${a}-${b}`).reverse().join(","), 200)).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    });

    it("repeating any selected index is always refused", () => {
      fc.assert(
        fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }), fc.nat(), (picked, k) => {
          const dup = picked[k % picked.length]!;
          refused([...picked, dup].join(","), 50);
        }),
        { numRuns: 200 },
      );
    });

    it("any index beyond the file is always refused", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 1, max: 1000 }), (total, extra) => {
          refused(String(total + extra), total);
        }),
        { numRuns: 200 },
      );
    });
  });
});
