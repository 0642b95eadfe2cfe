import { z } from "zod";
import { EventFieldSchema } from "./field.js";

/** Carries the definition's full new state, so a reader never needs the previous event to know it. */
export const EntityDefinitionChangedV1 = z.object({
  DefinitionId: z.string(),
  DisplayNameSingular: z.string(),
  DisplayNamePlural: z.string(),
  Fields: z.array(EventFieldSchema),
  ChangedFieldKeys: z.array(z.string()),
});
