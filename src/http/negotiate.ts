import type { Context } from "hono";
import { accepts } from "hono/accepts";

/** The older API's formats: CSV on request, JSON (as application/json or text/json) otherwise. */
export type ResultFormat = "application/json" | "text/json" | "text/csv";

/** No Accept, `*\/*` or an unsupported type all get JSON: what every older client understands. */
export function resultFormat(c: Context): ResultFormat {
  return accepts(c, { header: "Accept", supports: ["application/json", "text/csv", "text/json"], default: "application/json" }) as ResultFormat;
}

export function jsonAs(format: Exclude<ResultFormat, "text/csv">, body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": `${format}; charset=utf-8` } });
}
