import { actorOf } from "../../http/actor.js";
import { failed, okJson } from "../../http/envelope.js";
import { issue } from "../../domain/issues.js";
import { applyImport } from "../../services/apply.service.js";
import { exportPackage } from "../../services/export.service.js";
import { planImport } from "../../services/plan.service.js";
import type { AppRouteHandler } from "../types.js";
import type * as routes from "./json-import.routes.js";

/** The uploaded package as text; a part that is not a file (or is empty) is no package. */
async function fileText(file: unknown): Promise<string | null> {
  if (typeof file === "string") return file.length > 0 ? file : null;
  if (file instanceof Blob) return file.size > 0 ? await file.text() : null;
  return null;
}
const noFile = () => failed(400, [issue("invalid_package", "The form has no File part with the JSON export package.", { fieldKey: "File" })]);

export const plan: AppRouteHandler<typeof routes.plan> = async (c) => {
  const form = c.req.valid("form");
  const text = await fileText(Array.isArray(form.File) ? form.File[0] : form.File);
  if (text === null) return noFile();
  const r = await planImport(c.get("deps"), actorOf(c), c.req.valid("param").entity, form.ProfileId, text);
  return r.ok ? okJson(r.json) : failed(r.status, r.errors);
};

export const apply: AppRouteHandler<typeof routes.apply> = async (c) => {
  const form = c.req.valid("form");
  const text = await fileText(Array.isArray(form.File) ? form.File[0] : form.File);
  if (text === null) return noFile();
  const r = await applyImport(c.get("deps"), actorOf(c), c.req.valid("param").entity, form.ProfileId, text, form.SelectedRowIndexes);
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
