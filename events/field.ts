import { z } from "zod";
import { FieldTypes } from "../src/schemas/enums.js";

export const EventFieldSchema = z.object({
  Key: z.string(),
  Label: z.string(),
  Type: z.enum(FieldTypes),
  Required: z.boolean(),
  MaxLength: z.number().int().nullable(),
  Options: z.array(z.string()).nullable(),
});
