import { z } from "zod";

/** A plan run: who planned what, with the summary and the full plan the client received. */
export const ImportPlannedV1 = z.object({
  RunId: z.string(),
  EntityId: z.string(),
  ProfileId: z.string(),
  FileSha256: z.string(),
  Summary: z.record(z.string(), z.number()),
  /**
   * The exact JSON text of the plan the client got (`Data` of the response); for a plan whose rows
   * are in ImportRowsRecorded events (`RowsComplete: false`), that text without its `Rows` member
   * (the audit endpoint reads the first rows back from those events).
   */
  ResultJson: z.string(),
});
