import { z } from "zod";

/** Soft delete: the instance stays readable with Deleted = true and its history. */
export const InstanceDeletedV1 = z.object({
  InstanceId: z.string(),
  EntityId: z.string(),
  RowVersion: z.string(),
  RunId: z.string().nullable(),
  Reason: z.string().nullable(),
});
