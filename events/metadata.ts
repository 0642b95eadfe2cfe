import { z } from "zod";

/** Who and what caused an event. `Actor` is a token id (a hash prefix), never the token. */
export const EventMetadataSchema = z.object({
  Actor: z.string(),
  RequestId: z.string().nullable(),
  CorrelationId: z.string().nullable(),
  CausationId: z.string().nullable(),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;
