import { findProfile, instancesByIds, listInstances, findDefinition } from "../projections/queries.js";
import type { InstanceState } from "../domain/instance.js";
import type { EntityDefinition, Profile } from "../schemas/definitions.js";
import { FORMAT_VERSION } from "../schemas/transfer.js";
import type { Deps, Failure } from "./deps.js";
import { entityNotFound } from "./definitions.service.js";
import { profileNotFound } from "./profiles.service.js";
import { entityRef } from "./import-context.js";

export type ExportRequest = { ProfileId: string; SelectedInstanceIds?: string[] | null; Query?: { Page: number; PageSize?: number | null } | null };
export type ExportOutcome = { ok: true; stream: ReadableStream<Uint8Array>; fileName: string } | Failure;

const PAGE = 1000;

/**
 * Streams the JSON export package (SPEC §3) page by page, so memory stays flat for any size.
 * Field keys are written as the profile's package keys, so importing the file with the same
 * profile is a no-op (every row Skip).
 */
export async function exportPackage(deps: Deps, entity: string, req: ExportRequest): Promise<ExportOutcome> {
  const definition = await findDefinition(deps.store, entity);
  if (!definition) return entityNotFound(entity);
  const profile = await findProfile(deps.store, definition.Id, req.ProfileId);
  if (!profile) return profileNotFound(req.ProfileId);

  const head = {
    FormatVersion: FORMAT_VERSION,
    ExportedAtUtc: deps.now().toISOString(),
    Entity: entityRef(definition),
    Profile: { Id: profile.Id, Key: profile.Key, Name: profile.Name },
  };
  const toRecord = recordWriter(definition, profile);
  const pages = req.SelectedInstanceIds ? selectedPages(deps, definition.Id, req.SelectedInstanceIds) : allPages(deps, definition.Id, req.Query ?? null);
  const encoder = new TextEncoder();
  let first = true;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${JSON.stringify(head).slice(0, -1)},"Records":[`));
    },
    async pull(controller) {
      const next = await pages.next();
      if (next.done) {
        controller.enqueue(encoder.encode("]}\n"));
        controller.close();
        return;
      }
      let chunk = "";
      for (const inst of next.value) {
        chunk += (first ? "\n" : ",\n") + JSON.stringify(toRecord(inst));
        first = false;
      }
      controller.enqueue(encoder.encode(chunk));
    },
  });
  return { ok: true, stream, fileName: `${definition.Key}-${head.ExportedAtUtc.replace(/[:.]/g, "-")}.json` };
}

function recordWriter(definition: EntityDefinition, profile: Profile) {
  const packageKey = new Map<string, string>();
  for (const [from, to] of Object.entries(profile.FieldMap)) if (!packageKey.has(to)) packageKey.set(to, from);
  const columns = definition.Fields.map((f) => [f.Key, packageKey.get(f.Key) ?? f.Key] as const);
  return (inst: InstanceState) => {
    const fields: Record<string, unknown> = {};
    for (const [key, name] of columns) fields[name] = inst.Fields[key] ?? null;
    return { InstanceId: inst.Id, RowVersion: inst.RowVersion, Fields: fields };
  };
}

async function* allPages(deps: Deps, entityId: string, query: { Page: number; PageSize?: number | null } | null) {
  let remaining = query?.PageSize ? query.PageSize : Infinity;
  let skip = query?.PageSize ? (query.Page - 1) * query.PageSize : 0;
  let after: string | null = null;
  while (remaining > 0) {
    const page = await listInstances(deps.store, entityId, PAGE, after);
    if (page.length === 0) return;
    after = page[page.length - 1]!.Id;
    let live = page.filter((i) => !i.Deleted);
    if (skip > 0) {
      const dropped = Math.min(skip, live.length);
      live = live.slice(dropped);
      skip -= dropped;
    }
    live = live.slice(0, remaining);
    remaining -= live.length;
    if (live.length) yield live;
    if (page.length < PAGE) return;
  }
}

async function* selectedPages(deps: Deps, entityId: string, ids: string[]) {
  for (let i = 0; i < ids.length; i += PAGE) {
    const chunk = ids.slice(i, i + PAGE);
    const found = await instancesByIds(deps.store, entityId, chunk);
    const ordered = chunk.map((id) => found.get(id)).filter((x): x is InstanceState => !!x && !x.Deleted);
    if (ordered.length) yield ordered;
  }
}
