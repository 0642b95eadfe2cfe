import type { Config } from "../config.js";
import { createHokifyClient, type HokifyClient, type HokifyClientConfig } from "./client.js";

/** What the service needs to reach Hokify: `config.hokify`, plus client overrides for tests. */
export type HokifySettings = Config["hokify"] & {
  /** Overrides of the client's options (fetch, sleep, delays) for programmatic embedding and tests. */
  client?: Partial<HokifyClientConfig>;
};

export const DEFAULT_PAGE_SIZE = 100;

export type HokifyCredentials = { baseUrl: string; mandator: string; apiToken: string };

export function credentialsOf(settings: HokifySettings | null | undefined): HokifyCredentials | null {
  if (!settings?.baseUrl || !settings.mandator || !settings.apiToken) return null;
  return { baseUrl: settings.baseUrl, mandator: settings.mandator, apiToken: settings.apiToken };
}

/** A client for these settings, or null when Hokify is not configured (the routes answer 503). */
export function hokifyClientFor(settings: HokifySettings | null | undefined): HokifyClient | null {
  const credentials = credentialsOf(settings);
  if (!credentials || !settings) return null;
  return createHokifyClient({
    ...credentials,
    ...(settings.timeoutMs !== null ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.maxRetries !== null ? { maxRetries: settings.maxRetries } : {}),
    ...(settings.retryBaseMs !== null ? { baseDelayMs: settings.retryBaseMs } : {}),
    ...settings.client,
  });
}

export const pageSizeOf = (settings: HokifySettings | null | undefined) => settings?.pageSize ?? DEFAULT_PAGE_SIZE;
