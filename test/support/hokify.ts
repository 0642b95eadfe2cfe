import { createHokifySandbox, type HokifySandbox, type HokifySandboxOptions } from "./hokify-sandbox/sandbox.js";
import type { Reply, TestServer } from "./server.js";

export const WEBHOOK_SECRET = "test-webhook-secret-0123456789";
export const IMPORT = "/api/ExportImport/HokifyImport";
export const WEBHOOK = "/api/ExportImport/HokifyImport/webhook";

export async function startSandbox(options: HokifySandboxOptions = {}): Promise<HokifySandbox> {
  const sandbox = createHokifySandbox({ applications: 12, seed: 7, ...options });
  await sandbox.start();
  return sandbox;
}

/** Env for a service that talks to the sandbox: small pages and quick retries keep tests fast. */
export const hokifyEnv = (sandbox: HokifySandbox, extra: Record<string, string> = {}): Record<string, string> => ({
  HOKIFY_BASE_URL: sandbox.url,
  HOKIFY_MANDATOR: sandbox.mandator,
  HOKIFY_API_TOKEN: sandbox.apiToken,
  HOKIFY_WEBHOOK_SECRET: WEBHOOK_SECRET,
  HOKIFY_PAGE_SIZE: "5",
  HOKIFY_RETRY_BASE_MS: "5",
  HOKIFY_MAX_RETRIES: "2",
  HOKIFY_TIMEOUT_MS: "5000",
  ...extra,
});

export const runImport = (server: Pick<TestServer, "api">, query = "", headers: Record<string, string> = {}): Promise<Reply> =>
  server.api.get(`${IMPORT}${query ? `?${query}` : ""}`, { headers });

/** The report path of a result's DownloadUrl. */
export const reportPath = (downloadUrl: string) => new URL(downloadUrl).pathname;

/** Sends a body signed with `secret` (any body: tests craft their own deliveries too). */
export async function postWebhook(server: Pick<TestServer, "url">, sandbox: HokifySandbox, body: string, opts: { secret?: string; timestamp?: number } = {}) {
  const headers = await sandbox.signWebhook(opts.secret ?? WEBHOOK_SECRET, body, opts.timestamp);
  const res = await fetch(server.url + WEBHOOK, { method: "POST", headers: { ...headers }, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
