import type { RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context.js";

/**
 * Handlers get the route's validated, typed input and answer a plain `Response`: stored plans
 * are sent byte-for-byte, which zod-openapi's typed-response helpers cannot express.
 */
export type AppRouteHandler<R extends RouteConfig> = (c: Parameters<RouteHandler<R, AppEnv>>[0]) => Promise<Response>;

export const bind = <R extends RouteConfig>(handler: AppRouteHandler<R>) => handler as unknown as RouteHandler<R, AppEnv>;
