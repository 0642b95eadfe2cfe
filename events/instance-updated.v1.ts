import { z } from "zod";

export const InstanceUpdatedV1 = z.object({
  InstanceId: z.string(),
  EntityId: z.string(),
  /** JSON merge patch (RFC 7396) over Fields: a null value clears the field. */
  Changes: z.record(z.string(), z.unknown()),
  RowVersion: z.string(),
  RunId: z.string().nullable(),
});
