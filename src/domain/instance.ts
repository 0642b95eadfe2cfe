import type { EventOf } from "../../events/catalog.js";

export type InstanceEvent = EventOf<"InstanceCreated"> | EventOf<"InstanceUpdated"> | EventOf<"InstanceDeleted">;

export type InstanceState = {
  Id: string;
  EntityId: string;
  Fields: Record<string, unknown>;
  RowVersion: string;
  Version: number;
  CreatedAtUtc: string;
  UpdatedAtUtc: string;
  Deleted: boolean;
};

/** What deciding a plan row reads of the instance it matches (a plan looks up only these). */
export type PlanMatch = Pick<InstanceState, "Id" | "Fields" | "RowVersion" | "Deleted">;

export const initialInstance = (): InstanceState | null => null;

/** RFC 7396 merge patch over flat field maps: null clears a field. The SQL projection uses json_patch, the same rule. */
export function mergeFields(fields: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const next = { ...fields };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

export function evolveInstance(state: InstanceState | null, event: InstanceEvent, recordedAt: string): InstanceState {
  switch (event.type) {
    case "InstanceCreated":
      return {
        Id: event.data.InstanceId,
        EntityId: event.data.EntityId,
        Fields: mergeFields({}, event.data.Fields),
        RowVersion: event.data.RowVersion,
        Version: 1,
        CreatedAtUtc: recordedAt,
        UpdatedAtUtc: recordedAt,
        Deleted: false,
      };
    case "InstanceUpdated":
      if (!state) throw new Error("InstanceUpdated before InstanceCreated");
      return { ...state, Fields: mergeFields(state.Fields, event.data.Changes), RowVersion: event.data.RowVersion, Version: state.Version + 1, UpdatedAtUtc: recordedAt };
    case "InstanceDeleted":
      if (!state) throw new Error("InstanceDeleted before InstanceCreated");
      return { ...state, RowVersion: event.data.RowVersion, Version: state.Version + 1, UpdatedAtUtc: recordedAt, Deleted: true };
  }
}
