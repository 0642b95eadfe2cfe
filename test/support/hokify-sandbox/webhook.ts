import type { SandboxRecord } from "./data.js";

/** Webhook deliveries as Hokify sends them (docs/hokify.md §3). */

export const WEBHOOK_PATH = "/api/ExportImport/HokifyImport/webhook";

export type WebhookEvent = "application.created" | "application.updated" | "application.deleted";

export interface WebhookHeaders {
  "Content-Type": "application/json";
  "X-Hokify-Timestamp": string;
  "X-Hokify-Signature": string;
}

/** HMAC-SHA256(secret, `${timestamp}.${body}`) with Web Crypto, hex, prefixed "sha256=". */
export async function signWebhook(secret: string, body: string, timestampSeconds: number): Promise<WebhookHeaders> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestampSeconds}.${body}`));
  const hex = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    "Content-Type": "application/json",
    "X-Hokify-Timestamp": String(timestampSeconds),
    "X-Hokify-Signature": `sha256=${hex}`,
  };
}

export function webhookPayload(
  record: SandboxRecord,
  event: WebhookEvent,
  deliveryId: string,
  scopeId: number | undefined,
) {
  return {
    deliveryId,
    event,
    occurredAt: record.application.updatedAt,
    ...(scopeId === undefined ? {} : { scopeId }),
    data: { ...record.relation, applications: [record.application] },
  };
}

/** A bare origin means "the service": the standard webhook path is appended. */
export function webhookUrl(target: string): string {
  const url = new URL(target);
  if (url.pathname === "/" || url.pathname === "") url.pathname = WEBHOOK_PATH;
  return url.toString();
}
