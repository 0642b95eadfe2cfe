import type { MiddlewareHandler } from "hono";
import { issue } from "../domain/issues.js";
import { nestedDeeperThan } from "../import/package.js";
import type { AppEnv } from "./context.js";
import { failed } from "./envelope.js";

/** Deepest nesting a JSON request body may have; the deepest valid body (a definition's Fields) needs 4. */
export const MAX_JSON_DEPTH = 32;

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Refuses JSON bodies nested deeper than `max` with 400 before any validator parses them: no
 * route needs deep input, and a recursive walk over it (a message, a clone, a log line) would
 * overflow the stack. The text is read once; the validators reuse Hono's cached body.
 */
export function jsonDepthLimit(max = MAX_JSON_DEPTH): MiddlewareHandler<AppEnv> {
  return async function jsonDepthLimitMiddleware(c, next) {
    if (c.req.method === "GET" || c.req.method === "HEAD" || !JSON_TYPE.test(c.req.header("content-type") ?? "")) return next();
    if (nestedDeeperThan(await c.req.text(), max))
      return failed(400, [issue("invalid_request", `The JSON body nests arrays or objects deeper than ${max} levels.`)]);
    return next();
  };
}
