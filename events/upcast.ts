import { eventCatalog, type DomainEvent, type EventType } from "./catalog.js";
import { rowTuples } from "./import-rows-recorded.v2.js";

type Upcaster = (data: unknown) => unknown;

/** `upcasters[type][v]` turns data of version v into version v + 1. */
const upcasters: Partial<Record<EventType, Record<number, Upcaster>>> = {
  // v1 instances were created before runs were linked: no run is known.
  InstanceCreated: { 1: (data) => ({ RunId: null, ...(data as object) }) },
  // v1 slices held the rows as objects; v2 holds them as tuples of Columns.
  ImportRowsRecorded: {
    1: (data) => {
      const { Rows, ...rest } = data as { Rows: Record<string, unknown>[] };
      return { ...rest, ...rowTuples(Rows) };
    },
  },
};

export class UnknownEventError extends Error {}

/** Reads stored event data of any known version as the current version's shape. */
export function upcast(type: string, schemaVersion: number, data: unknown): DomainEvent {
  if (!Object.hasOwn(eventCatalog, type)) throw new UnknownEventError(`unknown event type ${type}`);
  const t = type as EventType;
  const entry = eventCatalog[t];
  let value = data;
  if (schemaVersion > entry.current) throw new UnknownEventError(`${type} v${schemaVersion} is newer than this code (v${entry.current})`);
  for (let v = schemaVersion; v < entry.current; v++) {
    const step = upcasters[t]?.[v];
    if (!step) throw new UnknownEventError(`no upcaster for ${type} v${v}`);
    value = step(value);
  }
  return { type: t, data: value } as DomainEvent;
}
