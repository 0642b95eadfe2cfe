import { z } from "zod";

export const InstanceCreatedV1 = z.object({
  InstanceId: z.string(),
  EntityId: z.string(),
  /** Canonical field key → normalized value; null values are not stored. */
  Fields: z.record(z.string(), z.unknown()),
  RowVersion: z.string(),
  /** The import run (apply or Hokify run) that wrote it, when there is one. */
  RunId: z.string().nullable(),
});
