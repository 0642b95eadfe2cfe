import { z } from "zod";

export const ImportAppliedV1 = z.object({
  RunId: z.string(),
  EntityId: z.string(),
  ProfileId: z.string(),
  FileSha256: z.string(),
  SelectedRowIndexes: z.array(z.number().int()),
  Summary: z.record(z.string(), z.number()),
  ResultJson: z.string(),
});
