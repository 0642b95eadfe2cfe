import { z } from "zod";

/**
 * A slice of a big run's result rows (plan or apply), in row order. Runs with more rows than a
 * response carries keep every row here; an apply writes each slice in the same atomic commit as
 * the changes it reports, so the log says row by row what happened even if the run is cut short.
 */
export const ImportRowsRecordedV1 = z.object({
  RunId: z.string(),
  FirstRowIndex: z.number().int(),
  LastRowIndex: z.number().int(),
  Count: z.number().int(),
  /** Plan rows or apply rows, as the rows endpoint serves them (an array, so the event is serialized once). */
  Rows: z.array(z.record(z.string(), z.unknown())),
});
