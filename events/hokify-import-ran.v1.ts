import { z } from "zod";

/** One record's outcome in a Hokify run: what the run report (DownloadUrl) lists. */
export const HokifyRunRecordV1 = z.object({
  Entity: z.enum(["Candidate", "Job", "Application"]),
  HokifyId: z.string(),
  InstanceId: z.string().nullable(),
  Action: z.enum(["Created", "Updated", "Unchanged", "Deleted", "Failed"]),
  Message: z.string().nullable(),
});

/**
 * A finished Hokify import run (polling or webhook), successful or not. The log is the source of
 * the incremental high-water mark: the next run of the scope starts at the HighWaterMarkUtc of
 * its last successful Incremental or Full run.
 */
export const HokifyImportRanV1 = z.object({
  RunId: z.string(),
  ScopeId: z.number().int(),
  ImportMode: z.enum(["Incremental", "Full", "Webhook"]),
  Trigger: z.enum(["request", "schedule", "webhook"]),
  /** The webhook delivery this run imported; null for polling runs. */
  DeliveryId: z.string().nullable(),
  /** The window asked of Hokify: updatedAt in [start, end). Null for webhook runs. */
  WindowStartUtc: z.string().nullable(),
  WindowEndUtc: z.string().nullable(),
  /** Largest application updatedAt seen (or the previous mark when nothing was seen). */
  HighWaterMarkUtc: z.string().nullable(),
  /** False when Hokify failed mid-run: the mark is then not to be trusted. */
  Succeeded: z.boolean(),
  StartedAtUtc: z.string(),
  FinishedAtUtc: z.string(),
  Summary: z.record(z.string(), z.number()),
  /** The exact JSON text of the ExportImportResult the client got. */
  ResultJson: z.string(),
  Records: z.array(HokifyRunRecordV1),
});
