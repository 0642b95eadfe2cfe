import { z } from "zod";
import { InstanceCreatedV1 } from "./instance-created.v1.js";

/** Version 2 links the instance to the import run (apply or Hokify run) that created it. */
export const InstanceCreatedV2 = InstanceCreatedV1.extend({
  /** Canonical field key → normalized value; null values are not stored. */
  Fields: z.record(z.string(), z.unknown()),
  RunId: z.string().nullable(),
});
