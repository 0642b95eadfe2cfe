import { failed, ok, okJson } from "../../http/envelope.js";
import { eventPage, importRunResult, importRunRows as runRowsPage, listImportRuns } from "../../services/audit.service.js";
import { runReplay } from "../../services/replay.service.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./audit.routes.js";

export const events: AppRouteHandler<typeof routes.events> = async (c) => ok(await eventPage(c.get("deps"), c.req.valid("query")));

export const imports: AppRouteHandler<typeof routes.imports> = async (c) => {
  const r = await listImportRuns(c.get("deps"), c.req.valid("query"));
  return r.ok ? ok(r.runs) : failed(r.status, r.errors);
};

export const importRun: AppRouteHandler<typeof routes.importRun> = async (c) => {
  const r = await importRunResult(c.get("deps"), c.req.valid("param").runId);
  return r.ok ? okJson(r.json) : failed(r.status, r.errors);
};

export const importRunRows: AppRouteHandler<typeof routes.importRunRows> = async (c) => {
  const r = await runRowsPage(c.get("deps"), { runId: c.req.valid("param").runId, ...c.req.valid("query") });
  return r.ok ? ok(r.page) : failed(r.status, r.errors);
};

export const replay: AppRouteHandler<typeof routes.replay> = async (c) => {
  const r = await runReplay(c.get("deps"), { swap: c.req.valid("query").swap === "true" });
  return r.ok ? ok(r.report) : failed(r.status, r.errors);
};
