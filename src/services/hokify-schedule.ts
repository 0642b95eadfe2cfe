import type { Logger } from "../http/context.js";
import { hokifyClientFor, pageSizeOf, type HokifySettings } from "../hokify/settings.js";
import type { ExportImportResult } from "../schemas/export-import.js";
import type { Deps } from "./deps.js";
import { runHokifyImport } from "./hokify-import.service.js";

export type ScheduledRun =
  | { scopeId: number; status: "ran"; runId: string; result: ExportImportResult }
  | { scopeId: number; status: "busy"; runId: string }
  | { scopeId: number; status: "failed"; error: string };

const silent: Pick<Logger, "info" | "error"> = { info() {}, error() {} };

/**
 * The scheduled import (SPEC §7): one incremental run per configured scope, one after another.
 * Meant for the Worker's `scheduled` handler, e.g.
 * `ctx.waitUntil(runScheduledImports(deps, readConfig(env)))`. A scope whose previous run is still
 * going is skipped (its lease says so); a failing scope does not stop the others.
 */
export async function runScheduledImports(
  deps: Deps,
  config: { hokify: HokifySettings; publicBaseUrl: string | null },
  logger: Pick<Logger, "info" | "error"> = silent,
): Promise<ScheduledRun[]> {
  const client = hokifyClientFor(config.hokify);
  if (!client) {
    logger.info("scheduled Hokify import skipped: HOKIFY_BASE_URL, HOKIFY_MANDATOR and HOKIFY_API_TOKEN are not all set");
    return [];
  }
  const out: ScheduledRun[] = [];
  for (const scopeId of config.hokify.scopes) {
    try {
      const r = await runHokifyImport(deps, { client, pageSize: pageSizeOf(config.hokify) }, {
        scopeId,
        mode: "Incremental",
        from: null,
        trigger: "schedule",
        actor: { Actor: "scheduler", RequestId: null, CorrelationId: null },
        // Without PUBLIC_BASE_URL there is no request origin to use: the DownloadUrl stays relative.
        baseUrl: config.publicBaseUrl ?? "",
      });
      if (r.ok) {
        out.push({ scopeId, status: "ran", runId: r.runId, result: r.result });
        logger.info("scheduled Hokify import", { scopeId, runId: r.runId, okCount: r.result.OkCount, errorCount: r.result.ErrorCount });
      } else {
        out.push({ scopeId, status: "busy", runId: r.holder });
        logger.info("scheduled Hokify import skipped: the scope's previous run is still going", { scopeId, runId: r.holder });
      }
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      out.push({ scopeId, status: "failed", error });
      logger.error("scheduled Hokify import failed", { scopeId, error });
    }
  }
  return out;
}
