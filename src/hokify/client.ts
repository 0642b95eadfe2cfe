import type { z } from "zod";
import { backoffDelay, parseRetryAfter } from "./backoff.js";
import { HokifyError } from "./errors.js";
import {
  HokifyApplicationsResponseSchema,
  HokifyTokenResponseSchema,
  type HokifyRelation,
} from "./schemas.js";

/**
 * Hokify ATS API client (contract: docs/hokify.md). Only web-standard APIs (fetch, AbortSignal,
 * btoa, TextEncoder) so the same code runs on Node, Deno and Cloudflare Workers.
 */

export interface HokifyClientConfig {
  baseUrl: string;
  mandator: string;
  apiToken: string;
  fetch?: typeof fetch;
  /** Per HTTP request, including reading the body. Default 15 000. */
  timeoutMs?: number;
  /** Retries after the first attempt, per call. Default 5. */
  maxRetries?: number;
  /** Default 500. */
  baseDelayMs?: number;
  /** Caps backoff and Retry-After. Default 30 000. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Clock for token expiry and Retry-After dates. Default Date.now. */
  now?: () => number;
}

export interface HokifyApplicationsQuery {
  startTime: Date;
  endTime: Date;
  offset: number;
  limit: number;
}

export interface HokifyPagesQuery {
  startTime: Date;
  endTime: Date;
  /** Applications per request, 1…500. Default 100. */
  pageSize?: number;
}

export interface HokifyPage {
  relations: HokifyRelation[];
  applicationCount: number;
  pageIndex: number;
}

export interface HokifyClient {
  getToken(): Promise<string>;
  getAllApplications(q: HokifyApplicationsQuery): Promise<HokifyRelation[]>;
  pages(q: HokifyPagesQuery): AsyncGenerator<HokifyPage>;
}

export const HOKIFY_TOKEN_PATH = "/ats-api/auth/token";
export const HOKIFY_APPLICATIONS_PATH = "/ats-api/application/getAllApplications";
export const HOKIFY_MAX_LIMIT = 500;

type Exchange =
  | { status: number; retryAfter: string | null; text: string; failed?: undefined }
  | { failed: "timeout" | "network"; cause: unknown };

interface RequestSpec<T> {
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string>;
  auth: "basic" | "bearer";
  schema: z.ZodType<T>;
  /** Contract checks beyond the schema; returns what is wrong. */
  check?: (data: T) => string | undefined;
}

export function createHokifyClient(config: HokifyClientConfig): HokifyClient {
  const timeoutMs = config.timeoutMs ?? 15_000;
  const maxRetries = config.maxRetries ?? 5;
  const baseDelayMs = config.baseDelayMs ?? 500;
  const maxDelayMs = config.maxDelayMs ?? 30_000;
  const sleep = config.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = config.now ?? Date.now;
  // Called through a wrapper: Workers throw "Illegal invocation" for a detached global fetch.
  const fetchFn = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = config.baseUrl.replace(/\/+$/, "");
  const basicAuth = `Basic ${base64Utf8(`${config.mandator}:${config.apiToken}`)}`;

  let cached: { token: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function exchange(url: string, method: string, authorization: string): Promise<Exchange> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await fetchFn(url, {
        method,
        headers: { authorization, accept: "application/json" },
        signal,
      });
      // Read every body, error ones too: it frees the connection, and the timeout covers it.
      const text = await res.text();
      return { status: res.status, retryAfter: res.headers.get("retry-after"), text };
    } catch (cause) {
      return { failed: signal.aborted ? "timeout" : "network", cause };
    }
  }

  async function request<T>(spec: RequestSpec<T>): Promise<T> {
    const label = `${spec.method} ${spec.path}`;
    const url = spec.query ? `${base}${spec.path}?${new URLSearchParams(spec.query)}` : `${base}${spec.path}`;
    let attempts = 0;
    let retries = 0;
    let tokenRenewed = false;

    const retryOrThrow = async (error: () => HokifyError, hintMs?: number) => {
      if (retries >= maxRetries) throw error();
      retries++;
      await sleep(Math.min(maxDelayMs, hintMs ?? backoffDelay(retries, baseDelayMs, maxDelayMs)));
    };

    for (;;) {
      const bearer = spec.auth === "bearer" ? await getToken() : undefined;
      attempts++;
      const answer = await exchange(url, spec.method, bearer === undefined ? basicAuth : `Bearer ${bearer}`);
      if (answer.failed) {
        const { failed: kind, cause } = answer;
        const what = kind === "timeout" ? `timed out after ${timeoutMs} ms` : "failed (network error)";
        await retryOrThrow(() => new HokifyError(kind, `${label} ${what}, ${attempts} attempt(s)`, { attempts, cause }));
        continue;
      }

      const { status } = answer;
      if (status >= 200 && status < 300) {
        const data = parseBody(spec.schema, answer.text, label, status, attempts);
        const wrong = spec.check?.(data);
        if (wrong) throw new HokifyError("protocol", `${label} answered ${status} but ${wrong}`, { attempts, status });
        return data;
      }

      if (status === 401 && bearer !== undefined && !tokenRenewed) {
        // Revoked or expired earlier than announced: one fresh token, then give up.
        tokenRenewed = true;
        if (cached?.token === bearer) cached = undefined;
        continue;
      }
      if (status === 401 || status === 403) {
        throw new HokifyError("auth", `${label} was refused with ${status}`, { attempts, status });
      }
      if (status === 429 || status >= 500) {
        const hint = parseRetryAfter(answer.retryAfter, now());
        await retryOrThrow(
          () => new HokifyError("http", `${label} answered ${status}, ${attempts} attempt(s)`, { attempts, status }),
          hint,
        );
        continue;
      }
      throw new HokifyError("http", `${label} answered ${status}`, { attempts, status });
    }
  }

  async function fetchToken(): Promise<string> {
    const requestedAt = now();
    const body = await request({ method: "POST", path: HOKIFY_TOKEN_PATH, auth: "basic", schema: HokifyTokenResponseSchema });
    const ttlMs = body.expires_in * 1000;
    // Counted from the request, not the answer: the server's clock started no later than that.
    cached = { token: body.access_token, renewAt: requestedAt + ttlMs - Math.min(60_000, ttlMs * 0.1) };
    return body.access_token;
  }

  function getToken(): Promise<string> {
    if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
    inflight ??= fetchToken().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  async function getAllApplications(q: HokifyApplicationsQuery): Promise<HokifyRelation[]> {
    checkQuery(q);
    return request({
      method: "GET",
      path: HOKIFY_APPLICATIONS_PATH,
      auth: "bearer",
      schema: HokifyApplicationsResponseSchema,
      query: {
        startTime: q.startTime.toISOString(),
        endTime: q.endTime.toISOString(),
        offset: String(q.offset),
        limit: String(q.limit),
      },
      check: (relations) => checkPage(relations, q),
    });
  }

  async function* pages(q: HokifyPagesQuery): AsyncGenerator<HokifyPage> {
    const pageSize = q.pageSize ?? 100;
    let startTime = q.startTime;
    let offset = 0;
    // Keyed paging over the inclusive startTime (docs/hokify.md, "Client paging"): changes to
    // applications already read cannot shift unread ones past the offset.
    for (let pageIndex = 0; ; pageIndex++) {
      const relations = await getAllApplications({ startTime, endTime: q.endTime, offset, limit: pageSize });
      const times = relations.flatMap((r) => r.applications.map((a) => Date.parse(a.updatedAt)));
      if (times.length > 0) yield { relations, applicationCount: times.length, pageIndex };
      if (times.length < pageSize) return;

      const last = Math.max(...times);
      if (last === startTime.getTime()) {
        offset += times.length;
      } else {
        startTime = new Date(last);
        offset = times.filter((t) => t === last).length;
      }
    }
  }

  return { getToken, getAllApplications, pages };
}

function checkQuery(q: HokifyApplicationsQuery): void {
  const start = q.startTime.getTime();
  const end = q.endTime.getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) throw new RangeError("startTime and endTime must be valid dates");
  if (end < start) throw new RangeError("endTime must not be before startTime");
  if (!Number.isInteger(q.offset) || q.offset < 0) throw new RangeError("offset must be an integer >= 0");
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > HOKIFY_MAX_LIMIT) {
    throw new RangeError(`limit must be an integer in 1…${HOKIFY_MAX_LIMIT}`);
  }
}

/** Paging correctness depends on these; a server breaking them must stop the sync, not corrupt it. */
function checkPage(relations: HokifyRelation[], q: HokifyApplicationsQuery): string | undefined {
  const apps = relations.flatMap((r) => r.applications);
  if (apps.length > q.limit) return `returned ${apps.length} applications for limit ${q.limit}`;
  const start = q.startTime.getTime();
  const end = q.endTime.getTime();
  const outside = apps.find((a) => {
    const t = Date.parse(a.updatedAt);
    return t < start || t >= end;
  });
  return outside ? `returned application ${outside._id} outside the requested window` : undefined;
}

function parseBody<T>(schema: z.ZodType<T>, text: string, label: string, status: number, attempts: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HokifyError("protocol", `${label} answered ${status} with a body that is not JSON`, { attempts, status });
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  // Issue paths and zod's generic messages only: the values may be personal data.
  const issues = parsed.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new HokifyError("protocol", `${label} answered ${status} with an unexpected body: ${issues}`, {
    attempts,
    status,
  });
}

/** btoa only takes Latin-1; credentials may not be. */
function base64Utf8(value: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
