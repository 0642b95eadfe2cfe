import { describe, expect, it } from "vitest";
import { toCsv } from "../../src/http/csv.js";

describe("toCsv", () => {
  it("starts with sep=, and the header, one CRLF-terminated line per row", () => {
    expect(toCsv(["Section", "Key", "Value"], [["StatsCounter", "Fetched", 12]])).toBe("sep=,\r\nSection,Key,Value\r\nStatsCounter,Fetched,12\r\n");
  });

  it.each([["=cmd|' /C calc'!A0"], ["+1+1"], ["-2+3"], ["@SUM(A1)"]])("prefixes the formula-like cell %s with '", (cell) => {
    const [, , row] = toCsv(["Value"], [[cell]]).split("\r\n");
    expect(row).toBe(`'${cell}`);
  });

  it("quotes cells with commas, quotes or line breaks, and leaves numbers and empty cells plain", () => {
    const [, , row] = toCsv(["A", "B", "C", "D"], [['say "hi", then', "two\nlines", 0, null]]).split("\r\n");
    expect(row).toBe('"say ""hi"", then","two\nlines",0,');
  });
});
