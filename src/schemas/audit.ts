import { z } from "@hono/zod-openapi";
import { UtcTime, apiResult } from "./api.js";
import { ApplyRowSchema, PlanRowSchema } from "./transfer.js";

export const AuditEventSchema = z
  .object({
    Position: z.number().int().openapi({ description: "Global, gap-free position in commit order.", example: 42 }),
    EventId: z.string(),
    StreamId: z.string().openapi({ example: "instance-01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d" }),
    StreamVersion: z.number().int(),
    Type: z.string().openapi({ example: "InstanceCreated" }),
    SchemaVersion: z.number().int(),
    Data: z.record(z.string(), z.unknown()),
    Metadata: z.object({ Actor: z.string(), RequestId: z.string().nullable(), CorrelationId: z.string().nullable(), CausationId: z.string().nullable() }),
    RecordedAtUtc: UtcTime,
  })
  .openapi("AuditEvent");

export const AuditEventPageSchema = z
  .object({
    Items: z.array(AuditEventSchema),
    NextAfter: z.number().int().nullable().openapi({ description: "Pass as `after` for the next page; null when this page was the end of the log so far." }),
  })
  .openapi("AuditEventPage");

export const ImportRunSchema = z
  .object({
    RunId: z.string(),
    Kind: z.enum(["plan", "apply", "hokify"]),
    EntityId: z.string().nullable(),
    ProfileId: z.string().nullable(),
    ScopeId: z.number().int().nullable(),
    Actor: z.string(),
    CreatedAtUtc: UtcTime,
    Summary: z.record(z.string(), z.unknown()),
  })
  .openapi("ImportRun");

export const ProjectionReportSchema = z
  .object({ Projection: z.string(), LiveRows: z.number().int(), RebuiltRows: z.number().int(), LiveChecksum: z.string(), RebuiltChecksum: z.string(), Equal: z.boolean() })
  .openapi("ProjectionReport");

export const ReplayReportSchema = z
  .object({
    Events: z.number().int(),
    LastPosition: z.number().int(),
    DurationMs: z.number().int(),
    EventsPerSecond: z.number().int(),
    Equal: z.boolean().openapi({ description: "True when every rebuilt projection equals the live one." }),
    Swapped: z.boolean(),
    Projections: z.array(ProjectionReportSchema),
  })
  .openapi("ReplayReport");

export const AuditEventPageResult = apiResult(AuditEventPageSchema, "ApiResultAuditEventPage");
export const ImportRunListResult = apiResult(z.array(ImportRunSchema), "ApiResultImportRunList");
export const ImportRunResult = apiResult(z.record(z.string(), z.unknown()).openapi({ description: "The stored JsonImportPlan, JsonImportApplyResult or ExportImportResult, byte-for-byte as first sent." }), "ApiResultImportRun");
export const RunRowsResult = apiResult(
  z
    .object({
      Items: z.array(z.union([ApplyRowSchema, PlanRowSchema])).openapi({ description: "Plan rows or apply rows, in RowIndex order." }),
      NextAfter: z.number().int().nullable().openapi({ description: "Pass as `after` for the next page; null on the last page." }),
    })
    .openapi("RunRowsPage"),
  "ApiResultRunRowsPage",
);
export const ReplayResult = apiResult(ReplayReportSchema, "ApiResultReplayReport");
