import { createRoute, z } from "@hono/zod-openapi";
import { requireScope } from "../../http/auth.js";
import { AuditEventPageResult, ImportRunListResult, ImportRunResult, ReplayResult, RunRowsResult } from "../../schemas/audit.js";
import { authResponses, envelope, security } from "../common.js";

const tags = ["Audit and replay"];
const time = z.string().datetime({ offset: true }).optional();
const runIdParams = z.object({ runId: z.string().min(1).max(200).openapi({ param: { name: "runId", in: "path" } }) });

export const events = createRoute({
  method: "get",
  path: "/api/audit/events",
  tags,
  security,
  middleware: [requireScope("audit:read")] as const,
  summary: "Page through the event log in position order.",
  description:
    "Positions are global, gap-free and strictly increasing in commit order. A reader never misses an event: positions are assigned inside the single writer's transaction, so no event can commit later with a lower position than one already visible.",
  request: {
    query: z.object({
      after: z.coerce.number().int().min(0).default(0).openapi({ description: "Return events with Position > after." }),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      streamId: z.string().max(200).optional(),
      type: z.string().max(100).optional().openapi({ example: "ImportApplied" }),
    }),
  },
  responses: { 200: envelope("A page of events.", AuditEventPageResult), 400: envelope("Bad query.", AuditEventPageResult), ...authResponses },
});

export const imports = createRoute({
  method: "get",
  path: "/api/audit/imports",
  tags,
  security,
  middleware: [requireScope("audit:read")] as const,
  summary: "List import runs (plans, applies, Hokify runs) with their summaries, newest first.",
  request: {
    query: z.object({
      kind: z.enum(["plan", "apply", "hokify"]).optional(),
      entity: z.string().max(200).optional().openapi({ description: "Entity Id or Key." }),
      from: time.openapi({ description: "Runs at or after this time (ISO 8601)." }),
      to: time.openapi({ description: "Runs before this time (ISO 8601)." }),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: { 200: envelope("Runs.", ImportRunListResult), 400: envelope("Bad query.", ImportRunListResult), 404: envelope("Unknown entity.", ImportRunListResult), ...authResponses },
});

export const importRun = createRoute({
  method: "get",
  path: "/api/audit/imports/{runId}",
  tags,
  security,
  middleware: [requireScope("audit:read")] as const,
  summary: "The full stored plan, apply result or ExportImportResult of one run, byte-for-byte.",
  request: { params: runIdParams },
  responses: { 200: envelope("The stored result.", ImportRunResult), 404: envelope("Unknown run.", ImportRunResult), ...authResponses },
});

export const importRunRows = createRoute({
  method: "get",
  path: "/api/audit/imports/{runId}/rows",
  tags,
  security,
  middleware: [requireScope("audit:read")] as const,
  summary: "Every result row of a plan or apply, page by page.",
  description:
    "A plan or apply with more than 10,000 rows answers with the first 10,000, `RowsComplete: false` and this URL. Pages are in row order: pass the `NextAfter` of a page as `after` to get the next; `NextAfter` is null on the last page. Works for runs of any size, and for the rows an interrupted apply committed.",
  request: {
    params: runIdParams,
    query: z.object({
      after: z.coerce.number().int().min(0).default(0).openapi({ description: "Rows after this RowIndex." }),
      limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    }),
  },
  responses: { 200: envelope("One page of rows.", RunRowsResult), 400: envelope("Bad query.", RunRowsResult), 404: envelope("Unknown run, or a run without result rows.", RunRowsResult), ...authResponses },
});

export const replay = createRoute({
  method: "post",
  path: "/api/admin/replay",
  tags,
  security,
  middleware: [requireScope("admin")] as const,
  summary: "Rebuild every projection from the log into fresh tables and verify it against the live state.",
  description:
    "Answers the checksum of every projection, live and rebuilt. With `swap=true` a verified rebuild replaces the live tables atomically. One replay runs at a time per database; another one meanwhile answers 409. Run it on a quiet service: when imports commit while it runs, a difference may be theirs, so it answers 409 instead of reporting one, and a swap is not done (409, nothing changed).",
  request: { query: z.object({ swap: z.enum(["true", "false"]).default("false") }) },
  responses: {
    200: envelope("The replay report (Equal says whether it verified).", ReplayResult),
    409: envelope("Another replay is running, or the log moved on while it ran (nothing changed).", ReplayResult),
    ...authResponses,
  },
});
