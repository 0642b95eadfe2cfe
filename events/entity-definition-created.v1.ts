import { z } from "zod";
import { EventFieldSchema } from "./field.js";

export const EntityDefinitionCreatedV1 = z.object({
  DefinitionId: z.string(),
  Key: z.string(),
  DisplayNameSingular: z.string(),
  DisplayNamePlural: z.string(),
  Fields: z.array(EventFieldSchema),
});
