import type { Context } from "hono";
import { actorOf } from "../../http/actor.js";
import type { AppEnv, Logger } from "../../http/context.js";
import { csvResponse, toCsv } from "../../http/csv.js";
import { jsonAs, resultFormat } from "../../http/negotiate.js";
import { problem, validationProblem } from "../../http/problem.js";
import { fieldErrors } from "../../http/validation.js";
import type { HokifyClient } from "../../hokify/client.js";
import { HokifyWebhookPayloadSchema } from "../../hokify/schemas.js";
import { hokifyClientFor, pageSizeOf, type HokifySettings } from "../../hokify/settings.js";
import { verifyWebhookSignature } from "../../hokify/signature.js";
import type { ExportImportResult } from "../../schemas/export-import.js";
import { claimDelivery } from "../../services/hokify-deliveries.js";
import { runHokifyImport, type HokifyImportMode } from "../../services/hokify-import.service.js";
import { sumHokifyResults } from "../../services/hokify-results.js";
import { readRunReport } from "../../services/hokify-runs.js";
import { importWebhookDelivery } from "../../services/hokify-webhook.service.js";
import type { AppRouteHandler } from "../types.js";
import { REPORT_CSV_HEADER, RESULT_CSV_HEADER, reportCsvRows, resultCsvRows } from "./export-import.csv.js";
import type * as routes from "./export-import.routes.js";

export type ExportImportOptions = {
  hokify: HokifySettings | null;
  publicBaseUrl: string | null;
  runInBackground?: (p: Promise<unknown>) => void;
  logger: Logger;
};

const parseImportMode = (raw: string): HokifyImportMode => (/^(full|1)$/i.test(raw) ? "Full" : "Incremental");

/** PUBLIC_BASE_URL when set (behind a proxy the request's origin is an internal one), else the request's origin. */
const baseUrlOf = (c: Context, opts: ExportImportOptions) => opts.publicBaseUrl ?? new URL(c.req.url).origin;

export function createHandlers(opts: ExportImportOptions) {
  // One client per app, made on first use: it caches Hokify's access token across runs.
  let client: HokifyClient | null | undefined;
  const clientOf = () => (client === undefined ? (client = hokifyClientFor(opts.hokify)) : client);
  const pageSize = pageSizeOf(opts.hokify);

  /** Background work outlives the response: the runtime's tracker, else Workers' waitUntil, else detached. */
  const inBackground = (c: Context, work: Promise<unknown>, what: Record<string, unknown>) => {
    const task = work.catch((err) => opts.logger.error("background Hokify import failed", { ...what, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
    if (opts.runInBackground) return opts.runInBackground(task);
    try {
      c.executionCtx.waitUntil(task);
    } catch {
      // No execution context (Node, Deno without a tracker): the promise simply runs on.
    }
  };

  const hokifyImport: AppRouteHandler<typeof routes.hokifyImport> = async (c) => {
    const client = clientOf();
    if (!client) return problem(c, 503, "Hokify is not configured: set HOKIFY_BASE_URL, HOKIFY_MANDATOR and HOKIFY_API_TOKEN.");
    const q = c.req.valid("query");
    const mode = parseImportMode(q.importMode);
    const from = mode === "Incremental" && q.unixSecondsFrom !== undefined ? new Date(Math.round(Number(q.unixSecondsFrom) * 1000)) : null;
    const outcome = await runHokifyImport(c.get("deps"), { client, pageSize }, { scopeId: q.scopeId, mode, from, trigger: "request", actor: actorOf(c), baseUrl: baseUrlOf(c, opts) });
    if (!outcome.ok)
      return problem(c, 409, `A Hokify import of scope ${q.scopeId} is running (run ${outcome.holder}); runs of one scope never overlap. Try again when it has finished.`, { "retry-after": "30" });
    return sendResult(c, outcome.result, outcome.runId);
  };

  const runReport: AppRouteHandler<typeof routes.runReport> = async (c) => {
    const { runId } = c.req.valid("param");
    const report = await readRunReport(c.get("deps"), runId);
    if (!report) return problem(c, 404, `No finished Hokify run '${runId.slice(0, 100)}'.`);
    const format = resultFormat(c);
    if (format === "text/csv") return csvResponse(toCsv(REPORT_CSV_HEADER, reportCsvRows(report)), `hokify-run-${safeName(runId)}.csv`);
    return jsonAs(format, report);
  };

  /** Plain handler (see routes.webhook): the signature is checked over the body exactly as received. */
  const webhook = async (c: Context<AppEnv>): Promise<Response> => {
    const secret = opts.hokify?.webhookSecret;
    if (!secret) return problem(c, 503, "The Hokify webhook is not configured: set HOKIFY_WEBHOOK_SECRET.");
    const deps = c.get("deps");
    const raw = await c.req.text();
    const check = await verifyWebhookSignature(secret, { timestamp: c.req.header("x-hokify-timestamp"), signature: c.req.header("x-hokify-signature") }, raw, deps.now().getTime());
    if (!check.ok) return problem(c, 401, check.reason);

    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return validationProblem(c, { $: ["The body is not JSON."] }, "The body is not a Hokify webhook delivery (docs/hokify.md §3).");
    }
    const parsed = HokifyWebhookPayloadSchema.safeParse(json);
    if (!parsed.success) return validationProblem(c, fieldErrors(parsed.error), "The body is not a Hokify webhook delivery (docs/hokify.md §3).");
    const payload = parsed.data;

    const runId = deps.newId();
    const first = await claimDelivery(deps.store, { deliveryId: payload.deliveryId, runId, scopeId: payload.scopeId, event: payload.event, receivedAt: deps.now().toISOString() });
    // A repeat: 202 (not 409) so Hokify stops retrying, with the run that handles it.
    if (first !== runId) return c.json({ RunId: first }, 202);
    const actor = { Actor: "hokify-webhook", RequestId: c.get("requestId"), CorrelationId: payload.deliveryId };
    inBackground(c, importWebhookDelivery(deps, actor, payload, runId, baseUrlOf(c, opts)), { runId, deliveryId: payload.deliveryId });
    return c.json({ RunId: runId }, 202);
  };

  const results: AppRouteHandler<typeof routes.results> = async (c) => {
    const q = c.req.valid("query");
    const total = await sumHokifyResults(c.get("deps"), { scopeId: q.scopeId, from: toIso(q.from), to: toIso(q.to) });
    const format = resultFormat(c);
    if (format === "text/csv") return csvResponse(toCsv(RESULT_CSV_HEADER, resultCsvRows(total)), "hokify-results.csv");
    return jsonAs(format, total);
  };

  return { hokifyImport, runReport, webhook, results };
}

function sendResult(c: Context, result: ExportImportResult, runId: string): Response {
  const format = resultFormat(c);
  if (format === "text/csv") return csvResponse(toCsv(RESULT_CSV_HEADER, resultCsvRows(result)), `hokify-import-${safeName(runId)}.csv`);
  return jsonAs(format, result);
}

/** Unix seconds or an ISO time → the UTC ISO text run rows are stored with. */
const toIso = (s: string | undefined) => (s === undefined ? undefined : new Date(/^[\d.]+$/.test(s) ? Number(s) * 1000 : Date.parse(s)).toISOString());

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100);
