import type { Issue } from "../schemas/api.js";

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/** `ApiResult<T>` with data. `dataJson` lets a stored plan be sent byte-for-byte. */
export function okJson(dataJson: string, status = 200, warnings: Issue[] = []): Response {
  return new Response(`{"Data":${dataJson},"Errors":[],"Warnings":${JSON.stringify(warnings)}}`, { status, headers: JSON_TYPE });
}

export const ok = (data: unknown, status = 200) => okJson(JSON.stringify(data), status);

export function failed(status: number, errors: Issue[], warnings: Issue[] = []): Response {
  return new Response(JSON.stringify({ Data: null, Errors: errors, Warnings: warnings }), { status, headers: JSON_TYPE });
}
