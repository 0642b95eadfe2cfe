/**
 * Webhook authentication (docs/hokify.md §3): HMAC-SHA256 over `timestamp + "." + rawBody`, keyed
 * with the shared secret, sent as `X-Hokify-Signature: sha256=<hex>`. Web Crypto only, so it runs
 * on Node, Deno and Workers alike.
 */

/** Deliveries older (or further in the future) than this are refused: a captured one cannot be replayed later. */
export const MAX_SKEW_SECONDS = 300;

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** No early exit: the time taken says nothing about how much of the signature was right. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/**
 * Checks the signature first and the clock second, so only a holder of the secret learns that
 * its clock is off.
 */
export async function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  rawBody: string,
  nowMs: number,
): Promise<SignatureCheck> {
  const ts = headers.timestamp?.trim() ?? "";
  const sig = /^sha256=([0-9a-fA-F]{64})$/.exec(headers.signature?.trim() ?? "");
  if (!/^\d{1,12}$/.test(ts) || !sig) return { ok: false, reason: "X-Hokify-Timestamp (unix seconds) and X-Hokify-Signature (sha256=<hex>) are required." };
  const expected = await hmacSha256(secret, `${ts}.${rawBody}`);
  if (!sameBytes(expected, hexToBytes(sig[1]!.toLowerCase()))) return { ok: false, reason: "The signature does not match the body." };
  const timestamp = Number(ts);
  if (Math.abs(nowMs / 1000 - timestamp) > MAX_SKEW_SECONDS) return { ok: false, reason: `The delivery's timestamp is more than ${MAX_SKEW_SECONDS} s away from the service's clock.` };
  return { ok: true, timestamp };
}
