import type { Context } from "hono";
import type { Actor } from "../services/deps.js";
import type { AppEnv } from "./context.js";

export function actorOf(c: Context<AppEnv>): Actor {
  const requestId = c.get("requestId");
  return { Actor: c.get("principal").tokenId, RequestId: requestId, CorrelationId: c.req.header("x-correlation-id")?.slice(0, 200) ?? requestId };
}
