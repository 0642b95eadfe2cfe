import { z } from "@hono/zod-openapi";
import { UtcTime, apiResult } from "./api.js";

export const InstanceSchema = z
  .object({
    Id: z.string(),
    EntityKey: z.string().openapi({ example: "candidate" }),
    Fields: z.record(z.string(), z.unknown()).openapi({ example: { email: "anna@example.at", first_name: "Anna" } }),
    RowVersion: z.string().openapi({ description: "Optimistic-concurrency token; a new UUID at each change." }),
    Version: z.number().int().openapi({ description: "Number of events of this instance." }),
    CreatedAtUtc: UtcTime,
    UpdatedAtUtc: UtcTime,
    Deleted: z.boolean(),
  })
  .openapi("Instance");
export type Instance = z.infer<typeof InstanceSchema>;

export const InstancePageSchema = z
  .object({
    Items: z.array(InstanceSchema),
    NextCursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
  })
  .openapi("InstancePage");

export const HistoryEventSchema = z
  .object({
    Position: z.number().int(),
    EventId: z.string(),
    StreamVersion: z.number().int(),
    Type: z.string().openapi({ example: "InstanceUpdated" }),
    SchemaVersion: z.number().int(),
    Data: z.record(z.string(), z.unknown()),
    Metadata: z.record(z.string(), z.unknown()),
    RecordedAtUtc: UtcTime,
  })
  .openapi("InstanceHistoryEvent");

export const InstanceResult = apiResult(InstanceSchema, "ApiResultInstance");
export const InstancePageResult = apiResult(InstancePageSchema, "ApiResultInstancePage");
export const HistoryResult = apiResult(z.array(HistoryEventSchema), "ApiResultInstanceHistory");
