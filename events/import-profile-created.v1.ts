import { z } from "zod";

export const ImportProfileCreatedV1 = z.object({
  ProfileId: z.string(),
  EntityId: z.string(),
  Key: z.string(),
  Name: z.string(),
  ImportMode: z.number().int(),
  IdentityMode: z.number().int(),
  IdentityFieldKey: z.string().nullable(),
  FieldMap: z.record(z.string(), z.string()),
  SkipUnchanged: z.boolean(),
});
