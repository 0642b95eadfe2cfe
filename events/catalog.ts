import { z } from "zod";
import { EntityDefinitionCreatedV1 } from "./entity-definition-created.v1.js";
import { EntityDefinitionChangedV1 } from "./entity-definition-changed.v1.js";
import { ImportProfileCreatedV1 } from "./import-profile-created.v1.js";
import { ImportProfileChangedV1 } from "./import-profile-changed.v1.js";
import { InstanceCreatedV1 } from "./instance-created.v1.js";
import { InstanceCreatedV2 } from "./instance-created.v2.js";
import { InstanceUpdatedV1 } from "./instance-updated.v1.js";
import { InstanceDeletedV1 } from "./instance-deleted.v1.js";
import { ImportPlannedV1 } from "./import-planned.v1.js";
import { ImportAppliedV1 } from "./import-applied.v1.js";
import { HokifyImportRanV1 } from "./hokify-import-ran.v1.js";
import { ImportRowsRecordedV1 } from "./import-rows-recorded.v1.js";
import { ImportRowsRecordedV2 } from "./import-rows-recorded.v2.js";

/**
 * Every event type with the schema of each version it was ever written in, and the current
 * version new events are written in. Older versions are upcast on read (see upcast.ts).
 */
export const eventCatalog = {
  EntityDefinitionCreated: { current: 1, versions: { 1: EntityDefinitionCreatedV1 } },
  EntityDefinitionChanged: { current: 1, versions: { 1: EntityDefinitionChangedV1 } },
  ImportProfileCreated: { current: 1, versions: { 1: ImportProfileCreatedV1 } },
  ImportProfileChanged: { current: 1, versions: { 1: ImportProfileChangedV1 } },
  InstanceCreated: { current: 2, versions: { 1: InstanceCreatedV1, 2: InstanceCreatedV2 } },
  InstanceUpdated: { current: 1, versions: { 1: InstanceUpdatedV1 } },
  InstanceDeleted: { current: 1, versions: { 1: InstanceDeletedV1 } },
  ImportPlanned: { current: 1, versions: { 1: ImportPlannedV1 } },
  ImportApplied: { current: 1, versions: { 1: ImportAppliedV1 } },
  HokifyImportRan: { current: 1, versions: { 1: HokifyImportRanV1 } },
  ImportRowsRecorded: { current: 2, versions: { 1: ImportRowsRecordedV1, 2: ImportRowsRecordedV2 } },
} as const;

export type EventType = keyof typeof eventCatalog;

/** A domain event as the code handles it: the current version's data, discriminated by type. */
export const DomainEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("EntityDefinitionCreated"), data: EntityDefinitionCreatedV1 }),
  z.object({ type: z.literal("EntityDefinitionChanged"), data: EntityDefinitionChangedV1 }),
  z.object({ type: z.literal("ImportProfileCreated"), data: ImportProfileCreatedV1 }),
  z.object({ type: z.literal("ImportProfileChanged"), data: ImportProfileChangedV1 }),
  z.object({ type: z.literal("InstanceCreated"), data: InstanceCreatedV2 }),
  z.object({ type: z.literal("InstanceUpdated"), data: InstanceUpdatedV1 }),
  z.object({ type: z.literal("InstanceDeleted"), data: InstanceDeletedV1 }),
  z.object({ type: z.literal("ImportPlanned"), data: ImportPlannedV1 }),
  z.object({ type: z.literal("ImportApplied"), data: ImportAppliedV1 }),
  z.object({ type: z.literal("HokifyImportRan"), data: HokifyImportRanV1 }),
  z.object({ type: z.literal("ImportRowsRecorded"), data: ImportRowsRecordedV2 }),
]);
export type DomainEvent = z.infer<typeof DomainEventSchema>;
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

export const currentSchemaVersion = (type: EventType): number => eventCatalog[type].current;
