import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";
import { problem } from "./problem.js";

export const SCOPES = ["definitions:write", "import:plan", "import:apply", "hokify:run", "audit:read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export type Principal = { tokenId: string; scopes: ReadonlySet<string> };
type KnownToken = { digest: Uint8Array; principal: Principal };

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** Equal-length digests compared without an early exit, so timing says nothing about the token. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

/** Tokens are kept only as SHA-256 digests; a principal is known by a digest prefix, never the token. */
export async function createTokenTable(tokens: Record<string, string[]>): Promise<KnownToken[]> {
  return Promise.all(
    Object.entries(tokens).map(async ([token, scopes]) => {
      const digest = await sha256(token);
      return { digest, principal: { tokenId: `tok_${hex(digest).slice(0, 12)}`, scopes: new Set(scopes) } };
    }),
  );
}

export const OPEN_PRINCIPAL: Principal = { tokenId: "anonymous", scopes: new Set(["*"]) };

function presentedToken(header: string | undefined, url: string): string | null {
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    return m ? m[1]!.trim() : null;
  }
  return new URL(url).searchParams.get("access_token");
}

/**
 * Authenticates Bearer or `?access_token=`. With `tokens: null` (Workers without API_TOKENS) every
 * call is refused; `open` (AUTH_DISABLED) lets every call in.
 */
export function authenticate(opts: { tokens: KnownToken[] | null; open: boolean }): MiddlewareHandler<AppEnv> {
  return async function authenticateMiddleware(c, next) {
    if (opts.open) {
      c.set("principal", OPEN_PRINCIPAL);
      return next();
    }
    const token = presentedToken(c.req.header("authorization"), c.req.url);
    if (!token) return problem(c, 401, "A bearer token is required (Authorization: Bearer <token>, or ?access_token=).", { "www-authenticate": "Bearer" });
    if (!opts.tokens) return problem(c, 401, "No API tokens are configured on this deployment.", { "www-authenticate": "Bearer" });
    const digest = await sha256(token);
    let found: Principal | null = null;
    for (const known of opts.tokens) if (sameDigest(known.digest, digest)) found = known.principal;
    if (!found) return problem(c, 401, "The token is not valid.", { "www-authenticate": 'Bearer error="invalid_token"' });
    c.set("principal", found);
    return next();
  };
}

export const hasScope = (p: Principal, scope: Scope) => p.scopes.has("*") || p.scopes.has("admin") || p.scopes.has(scope);

export function requireScope(scope: Scope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    if (!hasScope(c.get("principal"), scope)) return problem(c, 403, `This route needs the '${scope}' scope.`);
    return next();
  };
}

/** For routes several roles may use (a run's report: its auditor or whoever runs imports). */
export function requireAnyScope(...scopes: Scope[]): MiddlewareHandler<AppEnv> {
  return async function requireAnyScopeMiddleware(c, next) {
    const principal = c.get("principal");
    if (!scopes.some((s) => hasScope(principal, s))) return problem(c, 403, `This route needs one of the scopes ${scopes.map((s) => `'${s}'`).join(", ")}.`);
    return next();
  };
}
