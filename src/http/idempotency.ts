import type { MiddlewareHandler } from "hono";
import { issue } from "../domain/issues.js";
import { sha256Hex } from "../support/sha256.js";
import type { AppEnv } from "./context.js";
import { failed } from "./envelope.js";


/**
 * A request's fingerprint: what it asks for, not how it was framed. Multipart bodies are hashed
 * part by part, since two sends of the same form carry different boundaries.
 */
async function fingerprint(req: AppEnvRequest): Promise<string> {
  const url = new URL(req.url);
  url.searchParams.delete("access_token");
  const head = `${req.method} ${url.pathname}?${url.searchParams.toString()}`;
  const type = req.header("content-type") ?? "";
  if (/^multipart\/form-data|^application\/x-www-form-urlencoded/i.test(type)) {
    // Parsed from a copy of the bytes: a malformed form must reach the route's validator (400),
    // not reject here (req.formData() would cache the rejection and every later read → 500).
    const bytes = await req.arrayBuffer();
    let form: FormData;
    try {
      form = await new Response(bytes, { headers: { "content-type": type } }).formData();
    } catch {
      return sha256Hex(`${head}\n${type}\nunreadable form\n${await sha256Hex(bytes)}`);
    }
    // The validator reuses the parsed form instead of parsing a large upload again, and the raw
    // copy is let go so a big upload is not held twice while the import runs.
    const cache = req.bodyCache as { formData?: unknown; arrayBuffer?: unknown };
    cache.formData = Promise.resolve(form);
    delete cache.arrayBuffer;
    const parts: string[] = [];
    for (const [name, value] of form.entries())
      parts.push(`${name}=${typeof value === "string" ? value : `file:${await sha256Hex(await value.arrayBuffer())}`}`);
    return sha256Hex(`${head}\n${parts.sort().join("\n")}`);
  }
  return sha256Hex(`${head}\n${type}\n${await sha256Hex(await req.arrayBuffer())}`);
}
type AppEnvRequest = Parameters<MiddlewareHandler<AppEnv>>[0]["req"];

/**
 * Idempotency-Key (SPEC §1): a repeat with the same key and request gets the first response and
 * records nothing; the same key with another request is 409. Keys are per principal.
 */
export function idempotency(): MiddlewareHandler<AppEnv> {
  const inFlight = new Map<string, Promise<void>>();
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header("idempotency-key");
    if (!key || !["POST", "PUT", "PATCH", "DELETE"].includes(c.req.method)) return next();
    if (key.length > 200) return failed(400, [issue("invalid_request", "Idempotency-Key is longer than 200 characters.", { fieldKey: "Idempotency-Key" })]);
    const { store } = c.get("deps");
    const principal = c.get("principal").tokenId;
    const slot = `${principal}\u0000${key}`;
    // A concurrent twin waits for the first to finish, then is answered from what it stored.
    // The slot is taken before any await, so two twins can never both get past this point.
    while (inFlight.has(slot)) await inFlight.get(slot);
    let done!: () => void;
    inFlight.set(slot, new Promise<void>((r) => (done = r)));
    try {
      const hash = await fingerprint(c.req);
      const stored = await store.query({ sql: "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE principal = ? AND key = ?", args: [principal, key] });
      const hit = stored[0];
      if (hit) {
        if (String(hit.request_hash) !== hash)
          return failed(409, [issue("idempotency_key_reused", "This Idempotency-Key was used for a different request.", { fieldKey: "Idempotency-Key" })]);
        return new Response(String(hit.body), { status: Number(hit.status), headers: { "content-type": String(hit.content_type), "idempotent-replayed": "true" } });
      }
      await next();
      const res = c.res;
      const type = res.headers.get("content-type") ?? "";
      // Only settled answers are kept: a 5xx may succeed when retried.
      if (res.status < 500 && /json/.test(type)) {
        const body = await res.clone().text();
        await store.write([
          {
            sql: "INSERT OR IGNORE INTO idempotency_keys (principal, key, request_hash, status, content_type, body, created_at) VALUES (?,?,?,?,?,?,?)",
            args: [principal, key, hash, res.status, type, body, c.get("deps").now().toISOString()],
          },
        ]);
      }
    } finally {
      inFlight.delete(slot);
      done();
    }
  };
}
