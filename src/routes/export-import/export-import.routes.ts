import { createRoute, z } from "@hono/zod-openapi";
import { requireAnyScope, requireScope } from "../../http/auth.js";
import { HokifyWebhookPayloadSchema } from "../../hokify/schemas.js";
import { ProblemSchema } from "../../schemas/api.js";
import { ExportImportResultSchema, RunIdSchema, RunReportSchema } from "../../schemas/export-import.js";
import { authResponses, security } from "../common.js";

const tags = ["Hokify import (ExportImport)"];
const problemOf = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });
/** Far enough for any date Hokify accepts (year 9999), so the window's ISO times stay valid. */
const MAX_UNIX_SECONDS = 253_402_300_799;

const csvExample = [
  "sep=,",
  "Section,Key,Value",
  "CreatedCounts,Candidate,3",
  "CreatedCounts,Job,2",
  "CreatedCounts,Application,4",
  "…",
  "Result,DownloadUrl,https://imports.example.com/api/ExportImport/runs/01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d/report",
  "Result,OkCount,9",
  "Result,ErrorCount,0",
  "StatsCounter,Fetched,4",
].join("\r\n");

export const HokifyImportQuery = z.object({
  scopeId: z.coerce.number().int().min(1).max(2_147_483_647).default(1).openapi({ description: "Import scope: a whole number ≥ 1. Default 1.", example: 1 }),
  importMode: z
    .string()
    // refine, not regex: an OpenAPI pattern cannot carry the case-insensitive flag.
    .refine((s) => /^(incremental|full|0|1)$/i.test(s), "must be Incremental, Full, 0 or 1")
    .default("Incremental")
    .openapi({ description: "Incremental|Full or 0|1 (0 Incremental, 1 Full; names case-insensitive). Default Incremental.", example: "Incremental" }),
  unixSecondsFrom: z
    .string()
    .regex(/^\d{1,12}(\.\d{1,9})?$/, "must be a decimal number of seconds ≥ 0, e.g. 1748592902.117")
    .refine((s) => Number(s) <= MAX_UNIX_SECONDS, "must not lie after the year 9999")
    .optional()
    .openapi({
      description:
        "Incremental only (ignored by Full): fetch applications changed at or after this unix time (seconds, decimals allowed). Absent: since the high-water mark of the scope's last successful run, or everything when there is none.",
      example: "1748592902.117",
    }),
});

export const hokifyImport = createRoute({
  method: "get",
  path: "/api/ExportImport/HokifyImport",
  tags,
  security,
  middleware: [requireScope("hokify:run")] as const,
  summary: "Run a Hokify import of job applications and answer its ExportImportResult.",
  description: [
    "Reads applications from Hokify's ATS API and writes Candidate, Job and Application records through the same event-sourced pipeline as a JSON apply (one event per change; a record equal to the stored state is Unchanged and writes nothing). Definitions and `hokify` profiles (matching on `hokify_id`) are created on first use.",
    "`Incremental` fetches what changed since `unixSecondsFrom`, or since the high-water mark (largest application `updatedAt` seen, inclusive) of the scope's last successful run, read from the event log. `Full` fetches everything and soft-deletes the scope's applications Hokify no longer lists (only after a complete listing).",
    "The answer is not wrapped in ApiResult (older API). `Accept: text/csv` answers CSV: first line `sep=,`, then `Section,Key,Value` and one row per value (sections CreatedCounts, UpdatedCounts, DeletedCounts, UnchangedCounts, Exceptions, Result, StatsCounter); cells starting with = + - @ are prefixed with '. `application/json` and `text/json` (and no Accept) answer JSON.",
    "A failure of the Hokify API (after the client's retries) ends the run early and is reported in `Exceptions.Hokify` with status 200 and the partial counts; the high-water mark does not move.",
    "400: invalid parameters, as problem details whose `errors` maps each parameter to its messages (ASP.NET Core's ValidationProblemDetails). 409: a run of the same scope is in progress — runs of one scope never overlap (across processes too); retry after it finishes (`Retry-After` is a hint). 503: Hokify is not configured.",
  ].join("\n\n"),
  request: { query: HokifyImportQuery },
  responses: {
    200: {
      description: "The run's result (also when Hokify failed mid-run: see Exceptions).",
      content: {
        "application/json": { schema: ExportImportResultSchema },
        "text/json": { schema: ExportImportResultSchema },
        "text/csv": { schema: z.string().openapi({ example: csvExample }) },
      },
    },
    400: problemOf("Invalid scopeId, importMode or unixSecondsFrom (`errors` names them)."),
    409: problemOf("A Hokify import of this scope is already running."),
    503: problemOf("Hokify is not configured (HOKIFY_BASE_URL, HOKIFY_MANDATOR, HOKIFY_API_TOKEN)."),
    ...authResponses,
  },
});

export const RunIdParam = z.object({ runId: z.string().min(1).max(200).openapi({ param: { name: "runId", in: "path" }, example: "01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d" }) });

export const runReport = createRoute({
  method: "get",
  path: "/api/ExportImport/runs/{runId}/report",
  tags,
  security,
  middleware: [requireAnyScope("audit:read", "hokify:run")] as const,
  summary: "The per-record report of a Hokify run (its DownloadUrl).",
  description:
    "One row per record the run touched: entity, Hokify id, instance id, action (Created, Updated, Unchanged, Deleted, Failed) and a message. JSON by default; `Accept: text/csv` answers CSV (`sep=,` line, then `Entity,HokifyId,InstanceId,Action,Message`, formula-like cells prefixed with '). A webhook's run has its report once the background import finished (404 before).",
  request: { params: RunIdParam },
  responses: {
    200: {
      description: "The report.",
      content: {
        "application/json": { schema: RunReportSchema },
        "text/csv": { schema: z.string().openapi({ example: "sep=,\r\nEntity,HokifyId,InstanceId,Action,Message\r\nApplication,6650f1c2e8a1b2c3d4e5f601,01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d,Created,\r\n" }) },
      },
    },
    404: problemOf("No finished Hokify run with this id."),
    ...authResponses,
  },
});

/** Documented here, served by a plain handler: its signature covers the raw body, so nothing may parse it first. */
export const webhook = createRoute({
  method: "post",
  path: "/api/ExportImport/HokifyImport/webhook",
  tags,
  security: [],
  summary: "Hokify's push of one application event (signed; no bearer token).",
  description: [
    "Authenticated by its signature, not a token: `X-Hokify-Signature: sha256=<hex>` is the HMAC-SHA256 of `X-Hokify-Timestamp + \".\" + rawBody` keyed with HOKIFY_WEBHOOK_SECRET (docs/hokify.md §3).",
    "401: headers missing or malformed, signature mismatch, or a timestamp more than 300 s from the service's clock. 400: a correctly signed body that is not a delivery. 503: no HOKIFY_WEBHOOK_SECRET.",
    "202 `{ RunId }`: the application is imported in the background as its own run (its report appears at /api/ExportImport/runs/{RunId}/report when done). A repeated `deliveryId` is answered 202 with the first delivery's RunId and not processed again (remembered in the database, across restarts).",
  ].join("\n\n"),
  request: {
    headers: z.object({
      "X-Hokify-Timestamp": z.string().openapi({ description: "Unix seconds when the delivery was signed.", example: "1748592902" }),
      "X-Hokify-Signature": z.string().openapi({ description: "`sha256=` + lowercase hex HMAC-SHA256.", example: "sha256=5f1c0b…" }),
    }),
    body: { required: true, content: { "application/json": { schema: HokifyWebhookPayloadSchema } } },
  },
  responses: {
    202: { description: "Accepted (or already accepted earlier: the first RunId).", content: { "application/json": { schema: RunIdSchema } } },
    400: problemOf("Not a webhook delivery."),
    401: problemOf("Bad or missing signature, or a stale timestamp."),
    503: problemOf("The webhook is not configured (HOKIFY_WEBHOOK_SECRET)."),
  },
});

/** `from`/`to`: ISO 8601 times or unix seconds, as the older API's clients send either. */
const periodBound = z
  .string()
  .refine((s) => /^\d{1,12}(\.\d{1,9})?$/.test(s) || (/^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s))), "must be an ISO 8601 time or unix seconds")
  .optional();

export const results = createRoute({
  method: "get",
  path: "/api/ExportImport/results",
  tags,
  security,
  middleware: [requireAnyScope("audit:read", "hokify:run")] as const,
  summary: "ExportImportResult counters summed over the Hokify runs of a period.",
  description:
    "A projection of the log: every finished Hokify run (request, schedule or webhook) of the scope whose start lies in [from, to) is summed. `StatsCounter.Runs` counts them; `Exceptions` keeps at most 100 per key; `DownloadUrl` is empty (each run has its own report). `Accept: text/csv` answers CSV like HokifyImport.",
  request: {
    query: z.object({
      scopeId: z.coerce.number().int().min(1).max(2_147_483_647).optional().openapi({ description: "Only this scope; all scopes when absent." }),
      from: periodBound.openapi({ description: "Runs at or after this time (ISO 8601 or unix seconds).", example: "2026-11-01T00:00:00Z" }),
      to: periodBound.openapi({ description: "Runs before this time (ISO 8601 or unix seconds).", example: "2026-12-01T00:00:00Z" }),
    }),
  },
  responses: {
    200: {
      description: "The summed counters.",
      content: { "application/json": { schema: ExportImportResultSchema }, "text/json": { schema: ExportImportResultSchema }, "text/csv": { schema: z.string() } },
    },
    400: problemOf("Invalid scopeId, from or to (`errors` names them)."),
    ...authResponses,
  },
});
