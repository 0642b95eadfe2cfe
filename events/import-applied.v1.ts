import { z } from "zod";

export const ImportAppliedV1 = z.object({
  RunId: z.string(),
  EntityId: z.string(),
  ProfileId: z.string(),
  FileSha256: z.string(),
  SelectedRowIndexes: z.array(z.number().int()),
  Summary: z.record(z.string(), z.number()),
  /** As ImportPlanned's: the apply result the client got, without `Rows` when they are in ImportRowsRecorded events. */
  ResultJson: z.string(),
});
