import type { Context } from "hono";
import { actorOf } from "../../http/actor.js";
import type { AppEnv } from "../../http/context.js";
import { failed, okJson } from "../../http/envelope.js";
import { readImportForm, type ChunksFor, type UploadReaderFactory } from "../../http/import-form.js";
import { releaseUpload } from "../../import/package-spool.js";
import { issuesFromZod } from "../../http/validation.js";
import { issue } from "../../domain/issues.js";
import { applyImport } from "../../services/apply.service.js";
import { exportPackage } from "../../services/export.service.js";
import { planImport } from "../../services/plan.service.js";
import { planEarly, type EarlyPlan } from "../../services/plan-early.js";
import { ApplyFormSchema, PlanFormSchema } from "../../schemas/transfer.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./json-import.routes.js";

const noFile = () => failed(400, [issue("invalid_package", "The form has no File part with the JSON export package.", { fieldKey: "File" })]);
type Limits = { maxUploadBytes: number };

/** Reads the streamed form and checks its fields with the route's own schema (same issues as before). */
async function readForm<S extends typeof PlanFormSchema | typeof ApplyFormSchema>(c: Context<AppEnv>, schema: S, limits: Limits, early?: { chunksFor: ChunksFor; reader: UploadReaderFactory }) {
  const deps = c.get("deps");
  const read = await readImportForm(c.req, { maxBytes: limits.maxUploadBytes, sha256: deps.sha256Stream, chunks: deps.spoolChunks, ...early });
  if (!read.ok) return { response: failed(read.status, read.errors) } as const;
  const { fields, file } = read.form;
  const one = (name: string) => (fields[name]?.length === 1 ? fields[name][0] : fields[name]);
  const checked = schema.safeParse({ ProfileId: one("ProfileId"), SelectedRowIndexes: one("SelectedRowIndexes"), File: file ?? undefined });
  const refuse = (response: Response) => (releaseUpload(file), { response } as const);
  if (!checked.success) return refuse(failed(400, issuesFromZod(checked.error, "form")));
  if (!file || file.bytes === 0) return refuse(noFile());
  return { form: checked.data as { ProfileId: string; SelectedRowIndexes?: string | string[] }, file } as const;
}

export const plan = (limits: Limits) =>
  async function planHandler(c: Context<AppEnv>) {
    const deps = c.get("deps");
    const entity = c.req.param("entity")!;
    // The chunks cut before the upload ends are planned meanwhile, when the profile is known by
    // then; the upload is then read on the upload thread, if there is one. Otherwise (and for an
    // apply) this thread would only wait for it there (bench/notes-plan.md, stop 19).
    const early: { plan: EarlyPlan | null } = { plan: null };
    try {
      const read = await readForm(c, PlanFormSchema, limits, {
        chunksFor: (fields, declared) => (early.plan = planEarly(deps, entity, fields, declared))?.chunks,
        reader: (opts) => (early.plan && deps.uploadReader?.(opts)) || null,
      });
      if ("response" in read) return read.response;
      const r = await planImport(deps, actorOf(c), entity, read.form.ProfileId, read.file, early.plan).finally(() => releaseUpload(read.file));
      return r.ok ? okJson(r.json) : failed(r.status, r.errors);
    } finally {
      early.plan?.stop();
    }
  };

export const apply = (limits: Limits) =>
  async function applyHandler(c: Context<AppEnv>) {
    const read = await readForm(c, ApplyFormSchema, limits);
    if ("response" in read) return read.response;
    const r = await applyImport(c.get("deps"), actorOf(c), c.req.param("entity")!, read.form.ProfileId, read.file, read.form.SelectedRowIndexes).finally(() =>
      releaseUpload(read.file),
    );
    return r.ok ? okJson(r.json) : failed(r.status, r.errors);
  };

export const exportJson: AppRouteHandler<typeof routes.exportJson> = async (c) => {
  const r = await exportPackage(c.get("deps"), c.req.valid("param").entity, c.req.valid("json"));
  if (!r.ok) return failed(r.status, r.errors);
  return new Response(r.stream, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "content-disposition": `attachment; filename="${r.fileName}"` },
  });
};
