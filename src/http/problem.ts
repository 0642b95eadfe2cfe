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
export function problem(c: Context, status: number, detail: string, headers: Record<string, string> = {}, extensions: Record<string, unknown> = {}): Response {
  const title = TITLES[status] ?? "Error";
  const body = {
    type: `https://import-service.dev/problems/${title.toLowerCase().replace(/\s+/g, "-")}`,
    title,
    status,
    detail,
    instance: new URL(c.req.url).pathname,
    ...extensions,
  };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/problem+json", ...headers } });
}

/**
 * A 400 for the older, unenveloped API, shaped like ASP.NET Core's ValidationProblemDetails
 * (which its clients already handle): `errors` maps each parameter to its messages.
 */
export function validationProblem(c: Context, errors: Record<string, string[]>, detail = "One or more parameters are invalid."): Response {
  return problem(c, 400, detail, {}, { errors });
}
