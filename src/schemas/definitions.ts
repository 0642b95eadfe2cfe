import { z } from "@hono/zod-openapi";
import { FieldTypeSchema, IdentityModeSchema, ImportModeSchema } from "./enums.js";
import { apiResult } from "./api.js";

export const FieldSchema = z
  .object({
    Key: z.string().min(1).max(64).openapi({ description: "Field key; normalized to lower case [a-z0-9_].", example: "email" }),
    Label: z.string().min(1).max(200).openapi({ example: "E-mail" }),
    Type: FieldTypeSchema,
    Required: z.boolean().default(false),
    MaxLength: z.number().int().positive().max(1_000_000).nullish(),
    Options: z.array(z.string().min(1)).max(1000).nullish().openapi({ description: "Allowed values of an `enum` field." }),
  })
  .openapi("EntityField");
export type FieldInput = z.input<typeof FieldSchema>;
export type Field = z.output<typeof FieldSchema>;

export const DefinitionBodySchema = z
  .object({
    Key: z.string().min(1).max(64).openapi({ example: "candidate" }),
    DisplayNameSingular: z.string().min(1).max(200).openapi({ example: "Candidate" }),
    DisplayNamePlural: z.string().min(1).max(200).openapi({ example: "Candidates" }),
    Fields: z.array(FieldSchema).max(500),
  })
  .openapi("EntityDefinitionInput");

export const DefinitionChangeSchema = z
  .object({
    Key: z.string().optional().openapi({ description: "Ignored if present; the key of a definition never changes." }),
    DisplayNameSingular: z.string().min(1).max(200).optional(),
    DisplayNamePlural: z.string().min(1).max(200).optional(),
    Fields: z.array(FieldSchema).max(500).default([]).openapi({
      description: "Fields to add, or to change (matched by Key). Fields not listed stay as they are.",
    }),
  })
  .openapi("EntityDefinitionChange");

export const StoredFieldSchema = z.object({
  Key: z.string(),
  Label: z.string(),
  Type: FieldTypeSchema,
  Required: z.boolean(),
  MaxLength: z.number().int().nullable(),
  Options: z.array(z.string()).nullable(),
});
export type StoredField = z.infer<typeof StoredFieldSchema>;

export const EntityDefinitionSchema = z
  .object({
    Id: z.string().openapi({ example: "01934f8e-7c1a-7cc0-b3d4-5e6f7a8b9c0d" }),
    Key: z.string().openapi({ example: "candidate" }),
    DisplayNameSingular: z.string(),
    DisplayNamePlural: z.string(),
    Fields: z.array(StoredFieldSchema.openapi("EntityFieldDefinition")),
    Version: z.number().int().openapi({ description: "Bumped at every change.", example: 1 }),
  })
  .openapi("EntityDefinition");
export type EntityDefinition = z.infer<typeof EntityDefinitionSchema>;

export const ProfileBodySchema = z
  .object({
    Key: z.string().min(1).max(64).openapi({ example: "by_email" }),
    Name: z.string().min(1).max(200).openapi({ example: "Match on e-mail" }),
    ImportMode: ImportModeSchema.default(0),
    IdentityMode: IdentityModeSchema.default(0),
    IdentityFieldKey: z.string().nullish().openapi({ example: "email" }),
    FieldMap: z
      .record(z.string(), z.string())
      .nullish()
      .openapi({ description: "Package key → field key of the definition.", example: { "E-Mail": "email" } }),
    SkipUnchanged: z.boolean().default(true),
  })
  .openapi("ProfileInput");

export const ProfileSchema = z
  .object({
    Id: z.string(),
    EntityId: z.string(),
    Key: z.string(),
    Name: z.string(),
    ImportMode: ImportModeSchema,
    IdentityMode: IdentityModeSchema,
    IdentityFieldKey: z.string().nullable(),
    FieldMap: z.record(z.string(), z.string()),
    SkipUnchanged: z.boolean(),
    Version: z.number().int(),
  })
  .openapi("Profile");
export type Profile = z.infer<typeof ProfileSchema>;

export const DefinitionResult = apiResult(EntityDefinitionSchema, "ApiResultEntityDefinition");
export const DefinitionListResult = apiResult(z.array(EntityDefinitionSchema), "ApiResultEntityDefinitionList");
export const ProfileResult = apiResult(ProfileSchema, "ApiResultProfile");
export const ProfileListResult = apiResult(z.array(ProfileSchema), "ApiResultProfileList");
