import { z } from "zod";

/**
 * A slice of a big run's result rows (plan or apply), in row order, each row as the tuple of its
 * values in `Columns` order: the rows endpoint turns every tuple back into the object it was
 * (members in that order). Member names were most of a row's text: a 100k-row plan's slices
 * shrink from ≈ 20 to ≈ 8 MB, which is less to serialize and to write.
 */
export const ImportRowsRecordedV2 = z.object({
  RunId: z.string(),
  FirstRowIndex: z.number().int(),
  LastRowIndex: z.number().int(),
  Count: z.number().int(),
  /** The members of every row of the slice (a run's rows all have the same ones). */
  Columns: z.array(z.string()),
  Rows: z.array(z.array(z.unknown())),
});
export type ImportRowsRecordedData = z.infer<typeof ImportRowsRecordedV2>;

/** The rows as objects, as the rows endpoint serves them. */
export function rowObjects(d: Pick<ImportRowsRecordedData, "Columns" | "Rows">): Record<string, unknown>[] {
  const { Columns, Rows } = d;
  const out = new Array<Record<string, unknown>>(Rows.length);
  for (let r = 0; r < Rows.length; r++) {
    const tuple = Rows[r]!;
    const row: Record<string, unknown> = {};
    for (let c = 0; c < Columns.length; c++) row[Columns[c]!] = tuple[c];
    out[r] = row;
  }
  return out;
}

/** The rows as tuples of `Columns` (those of the first row: a run's rows all have the same members). */
export function rowTuples(rows: Record<string, unknown>[]): Pick<ImportRowsRecordedData, "Columns" | "Rows"> {
  const Columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const Rows = new Array<unknown[]>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const tuple = new Array<unknown>(Columns.length);
    for (let c = 0; c < Columns.length; c++) tuple[c] = row[Columns[c]!];
    Rows[r] = tuple;
  }
  return { Columns, Rows };
}
