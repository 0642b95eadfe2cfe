import type { EventMetadata } from "../../events/metadata.js";
import type { InstanceState } from "../domain/instance.js";
import { getInstance } from "../projections/queries.js";
import type { EntityDefinition } from "../schemas/definitions.js";
import { ROWS_PER_COMMIT } from "./apply-rows.js";
import { commitEvents, streams, type PendingEvent } from "./commit.js";
import type { Deps } from "./deps.js";

export type DeleteOutcome = { instance: InstanceState; deleted: boolean; message: string | null };

/**
 * Soft-deletes instances by InstanceDeleted events, ROWS_PER_COMMIT per atomic batch. If a batch
 * loses a race (an instance changed meanwhile), each instance is read again, `stillDelete`
 * decides on its fresh state, and it is deleted on its own.
 */
export async function softDeleteInstances(
  deps: Deps,
  definition: EntityDefinition,
  instances: InstanceState[],
  meta: EventMetadata,
  runId: string,
  reason: string,
  stillDelete: (fresh: InstanceState) => boolean = () => true,
): Promise<DeleteOutcome[]> {
  const out: DeleteOutcome[] = [];
  for (let start = 0; start < instances.length; start += ROWS_PER_COMMIT) {
    const chunk = instances.slice(start, start + ROWS_PER_COMMIT);
    const outcome = await commitEvents(deps, chunk.map((i) => deleteEvent(deps, definition, i, runId, reason)), meta);
    if (outcome.ok) {
      out.push(...chunk.map((instance) => ({ instance, deleted: true, message: null })));
      continue;
    }
    for (const stale of chunk) {
      const fresh = await getInstance(deps.store, definition.Id, stale.Id);
      if (!fresh || fresh.Deleted || !stillDelete(fresh)) {
        out.push({ instance: fresh ?? stale, deleted: false, message: "Changed while the run was deleting; left as it is." });
        continue;
      }
      const one = await commitEvents(deps, [deleteEvent(deps, definition, fresh, runId, reason)], meta);
      out.push({ instance: fresh, deleted: one.ok, message: one.ok ? null : "Another change to this record committed first." });
    }
  }
  return out;
}

function deleteEvent(deps: Deps, definition: EntityDefinition, instance: InstanceState, runId: string, reason: string): PendingEvent {
  return {
    streamId: streams.instance(instance.Id),
    streamVersion: instance.Version + 1,
    event: { type: "InstanceDeleted", data: { InstanceId: instance.Id, EntityId: definition.Id, RowVersion: deps.newId(), RunId: runId, Reason: reason } },
  };
}
