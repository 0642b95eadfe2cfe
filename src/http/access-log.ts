import type { MiddlewareHandler } from "hono";
import type { AppEnv, Logger } from "./context.js";

/** The path and query a log may show: secrets in the query string are masked. */
export function redactedUrl(url: string): string {
  const u = new URL(url);
  if (u.searchParams.has("access_token")) u.searchParams.set("access_token", "REDACTED");
  return u.pathname + (u.search ? u.search : "");
}

export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function accessLogMiddleware(c, next) {
    const started = performance.now();
    await next();
    logger.info("request", {
      requestId: c.get("requestId"),
      method: c.req.method,
      url: redactedUrl(c.req.url),
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      actor: c.get("principal")?.tokenId ?? null,
    });
  };
}
