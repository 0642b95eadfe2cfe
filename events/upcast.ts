import { eventCatalog, type DomainEvent, type EventType } from "./catalog.js";

type Upcaster = (data: unknown) => unknown;

/** `upcasters[type][v]` turns data of version v into version v + 1. None exist yet. */
const upcasters: Partial<Record<EventType, Record<number, Upcaster>>> = {};

export class UnknownEventError extends Error {}

/** Reads stored event data of any known version as the current version's shape. */
export function upcast(type: string, schemaVersion: number, data: unknown): DomainEvent {
  if (!Object.hasOwn(eventCatalog, type)) throw new UnknownEventError(`unknown event type ${type}`);
  const t = type as EventType;
  const entry = eventCatalog[t];
  let value = data;
  for (let v = schemaVersion; v < entry.current; v++) {
    const step = upcasters[t]?.[v];
    if (!step) throw new UnknownEventError(`no upcaster for ${type} v${v}`);
    value = step(value);
  }
  return { type: t, data: value } as DomainEvent;
}
