import type { EventOf } from "../../events/catalog.js";
import { upcast } from "../../events/upcast.js";
import type { RunReport } from "../schemas/export-import.js";
import { commitEvents, streams } from "./commit.js";
import type { Actor, Deps } from "./deps.js";

export type HokifyRunData = EventOf<"HokifyImportRan">["data"];

/**
 * The high-water mark of the scope's last successful polling run, read from the event log (the
 * log is the truth; projections may be rebuilding). Webhook runs do not count: one application
 * says nothing about the others.
 */
export async function lastHighWaterMark(deps: Deps, scopeId: number): Promise<Date | null> {
  const rows = await deps.store.query({
    sql: `SELECT type, schema_version, data FROM events
          WHERE type = 'HokifyImportRan' AND json_extract(data, '$.ScopeId') = ? AND json_extract(data, '$.Succeeded') = 1
            AND json_extract(data, '$.ImportMode') IN ('Incremental', 'Full')
          ORDER BY position DESC LIMIT 1`,
    args: [scopeId],
  });
  const row = rows[0];
  if (!row) return null;
  const event = upcast(String(row.type), Number(row.schema_version), JSON.parse(String(row.data)));
  const mark = event.type === "HokifyImportRan" ? event.data.HighWaterMarkUtc : null;
  return mark ? new Date(mark) : null;
}

/** Records a finished run: one event on the run's own stream, projected into import_runs. */
export async function recordHokifyRun(deps: Deps, actor: Actor, data: HokifyRunData): Promise<void> {
  const outcome = await commitEvents(deps, [{ streamId: streams.run(data.RunId), streamVersion: 1, event: { type: "HokifyImportRan", data } }], { ...actor, CausationId: null });
  if (!outcome.ok) throw new Error(`recording the Hokify run failed: ${outcome.reason}`);
}

/** The per-record report of a finished Hokify run, or null when there is no such run (yet). */
export async function readRunReport(deps: Deps, runId: string): Promise<RunReport | null> {
  const stored = (await deps.store.readStream(streams.run(runId))).find((e) => e.type === "HokifyImportRan");
  if (!stored) return null;
  const event = upcast(stored.type, stored.schemaVersion, stored.data);
  if (event.type !== "HokifyImportRan") return null;
  const d = event.data;
  return { RunId: d.RunId, ScopeId: d.ScopeId, ImportMode: d.ImportMode, Succeeded: d.Succeeded, StartedAtUtc: d.StartedAtUtc, FinishedAtUtc: d.FinishedAtUtc, Records: d.Records };
}
