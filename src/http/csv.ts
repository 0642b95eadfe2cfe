import { stringify } from "csv-stringify/browser/esm/sync";

/**
 * CSV for spreadsheet users. The first line `sep=,` tells Excel the delimiter whatever the
 * locale; cells starting with = + - @ (or tab / CR) are prefixed with ' so a spreadsheet never
 * runs data from Hokify or a package as a formula (OWASP "CSV injection").
 * The browser build of csv-stringify carries its own Buffer shim, so the same code runs on Workers.
 */
export type CsvCell = string | number | boolean | null | undefined;

export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8";

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return `sep=,\r\n${stringify([header as CsvCell[], ...(rows as CsvCell[][])], {
    escape_formulas: true,
    record_delimiter: "windows",
    // A custom record delimiter turns this off by default; a bare \n in a cell must still be quoted.
    quote_record_delimiter: true,
    cast: { boolean: (b) => (b ? "true" : "false") },
  })}`;
}

export function csvResponse(text: string, fileName: string, status = 200): Response {
  return new Response(text, { status, headers: { "content-type": CSV_CONTENT_TYPE, "content-disposition": `attachment; filename="${fileName}"` } });
}
