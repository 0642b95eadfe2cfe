import { z } from "zod";

/** Version 1, kept so old logs stay readable: an instance was not yet linked to the run that created it. */
export const InstanceCreatedV1 = z.object({
  InstanceId: z.string(),
  EntityId: z.string(),
  Fields: z.record(z.string(), z.unknown()),
  RowVersion: z.string(),
});
