import type { Context } from "hono";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** RFC 9457 problem details for faults that are not about a row or a field. */
export function problem(c: Context, status: number, detail: string, headers: Record<string, string> = {}): Response {
  const title = TITLES[status] ?? "Error";
  const body = {
    type: `https://import-service.dev/problems/${title.toLowerCase().replace(/\s+/g, "-")}`,
    title,
    status,
    detail,
    instance: new URL(c.req.url).pathname,
  };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/problem+json", ...headers } });
}
