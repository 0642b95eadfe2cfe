import { z } from "zod";

/**
 * Hokify wire types (docs/hokify.md). Objects are loose so that fields Hokify adds later pass
 * through untouched; only the fields the import relies on are required and typed strictly.
 */

// Hokify stores milliseconds; the key-based paging in client.ts compares these exactly.
const isoTime = z.iso.datetime({ offset: true });
const id = z.string().min(1);
// Optional text fields come back as null as often as absent.
const text = z.string().nullish();

export const HokifyTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

export const HokifyUserSchema = z.looseObject({
  _id: id,
  displayName: text,
  general: z
    .looseObject({ firstName: text, lastName: text, email: text, phone: text })
    .nullish(),
});

export const HokifyApplicationSchema = z.looseObject({
  _id: id,
  contactStage: text,
  createdAt: isoTime,
  updatedAt: isoTime,
  user: HokifyUserSchema,
  source: text,
  cvUrl: text,
  message: text,
});

export const HokifyRelationTypeSchema = z.enum(["job", "company"]);

export const HokifyRelationSchema = z.looseObject({
  relationType: HokifyRelationTypeSchema,
  relationId: id,
  sourceId: text,
  jobTitle: text,
  companyName: text,
  applications: z.array(HokifyApplicationSchema).min(1),
});

export const HokifyApplicationsResponseSchema = z.array(HokifyRelationSchema);

export const HokifyWebhookEventSchema = z.enum([
  "application.created",
  "application.updated",
  "application.deleted",
]);

export const HokifyWebhookPayloadSchema = z.looseObject({
  deliveryId: id,
  event: HokifyWebhookEventSchema,
  occurredAt: isoTime,
  scopeId: z.number().int().positive().default(1),
  // A delivery is about one application; more would make "which one changed" ambiguous.
  data: HokifyRelationSchema.extend({ applications: z.array(HokifyApplicationSchema).length(1) }),
});

export type HokifyTokenResponse = z.infer<typeof HokifyTokenResponseSchema>;
export type HokifyUser = z.infer<typeof HokifyUserSchema>;
export type HokifyApplication = z.infer<typeof HokifyApplicationSchema>;
export type HokifyRelationType = z.infer<typeof HokifyRelationTypeSchema>;
export type HokifyRelation = z.infer<typeof HokifyRelationSchema>;
export type HokifyWebhookEvent = z.infer<typeof HokifyWebhookEventSchema>;
/** After parsing: `scopeId` is always set. */
export type HokifyWebhookPayload = z.infer<typeof HokifyWebhookPayloadSchema>;
/** As sent: `scopeId` may be absent. */
export type HokifyWebhookPayloadInput = z.input<typeof HokifyWebhookPayloadSchema>;
