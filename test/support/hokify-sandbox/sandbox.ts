import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { createSandboxApp } from "./app.js";
import {
  generateRecords,
  generateRelations,
  newRecord,
  touchApplication,
  type SandboxRecord,
  type SandboxRelation,
} from "./data.js";
import { createFaultPlan, type SandboxFaults } from "./faults.js";
import { compareRecords } from "./paging.js";
import { createRng } from "./random.js";
import { emptyStats, type SandboxStats } from "./stats.js";
import { signWebhook, webhookPayload, webhookUrl, type WebhookEvent, type WebhookHeaders } from "./webhook.js";

/**
 * A local stand-in for Hokify's ATS API (docs/hokify.md), for tests and for running the service
 * without Hokify credentials. Binds 127.0.0.1 only.
 */

export interface HokifySandboxOptions {
  mandator?: string;
  apiToken?: string;
  /** Same seed, same data. Default 1. */
  seed?: number;
  /** Applications generated at start. Default 50. */
  applications?: number;
  /** Relations (jobs, some companies) generated at start. Default max(3, applications / 6). */
  relations?: number;
  /** Default 3600. */
  tokenTtlSeconds?: number;
  faults?: SandboxFaults;
  /** Default 0: any free port. */
  port?: number;
  /** Sandbox clock: token expiry, mutate() timestamps. Default Date.now. */
  now?: () => number;
  /** Generated data is dated before this instant, so mutations ("now") are always newer. */
  epoch?: Date;
}

export interface SandboxMutation {
  update?: number;
  create?: number;
  remove?: number;
}

export interface SandboxMutationResult {
  created: string[];
  updated: string[];
  removed: string[];
}

export interface SendWebhookOptions {
  /** The webhook URL, or the service origin (the standard path is appended). */
  targetUrl: string;
  secret: string;
  event: WebhookEvent;
  /** An application _id (current or removed). Default: the latest changed, or latest removed for deletions. */
  application?: string;
  deliveryId?: string;
  /** Unix seconds. Default: the sandbox clock. */
  timestamp?: number;
  /** Omitted from the payload unless given (the service defaults it to 1). */
  scopeId?: number;
}

export interface SendWebhookResult {
  status: number;
  body: unknown;
  deliveryId: string;
  payload: ReturnType<typeof webhookPayload>;
  rawBody: string;
  headers: WebhookHeaders;
}

export type HokifySandbox = ReturnType<typeof createHokifySandbox>;

const DEFAULT_EPOCH = new Date("2025-06-01T00:00:00.000Z");

export function createHokifySandbox(options: HokifySandboxOptions = {}) {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now;
  const applicationCount = options.applications ?? 50;
  const epochMs = (options.epoch ?? DEFAULT_EPOCH).getTime();
  const mandator = options.mandator ?? "sandbox";
  const apiToken = options.apiToken ?? "sandbox-token";

  // Separate streams: mutations and random faults must not change the generated data set.
  const dataRng = createRng(seed);
  const mutationRng = createRng(seed ^ 0x5bd1e995);
  const faultRng = createRng(seed ^ 0x27d4eb2f);

  const relations: SandboxRelation[] = generateRelations(
    dataRng,
    options.relations ?? Math.max(3, Math.round(applicationCount / 6)),
    epochMs,
  );
  const generated = generateRecords(dataRng, relations, applicationCount, epochMs);
  let records: SandboxRecord[] = generated.records;
  const candidates = generated.candidates;
  const removed = new Map<string, SandboxRecord>();

  let faultPlan = createFaultPlan(options.faults ?? {}, faultRng);
  const stats = emptyStats();
  const tokens = new Map<string, number>();
  const app = createSandboxApp({
    mandator,
    apiToken,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    now,
    records: () => records,
    faultPlan: () => faultPlan,
    stats,
    tokens,
  });

  let server: Server | undefined;
  let port: number | undefined;

  async function start(): Promise<void> {
    if (server) return;
    await new Promise<void>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: options.port ?? 0 }, (info) => {
        port = info.port;
        resolve();
      }) as Server;
      s.once("error", reject);
      server = s;
    });
  }

  async function stop(): Promise<void> {
    const s = server;
    if (!s) return;
    server = undefined;
    await new Promise<void>((resolve, reject) => {
      s.close((err) => (err ? reject(err) : resolve()));
      // Keep-alive and deliberately slow requests would otherwise hold close() open.
      s.closeAllConnections();
    });
  }

  /** Changes as Hokify users would make them; every touched application gets updatedAt = now. */
  function mutate(change: SandboxMutation): SandboxMutationResult {
    const at = now();
    const result: SandboxMutationResult = { created: [], updated: [], removed: [] };

    for (const record of takeRandom(records, change.update ?? 0)) {
      touchApplication(mutationRng, record.application, at);
      result.updated.push(record.application._id);
    }
    for (const record of takeRandom(records, change.remove ?? 0)) {
      // Deletions carry the last state, dated at the deletion (docs/hokify.md §3).
      record.application.updatedAt = new Date(at).toISOString();
      removed.set(record.application._id, record);
      result.removed.push(record.application._id);
    }
    if (result.removed.length > 0) {
      const gone = new Set(result.removed);
      records = records.filter((r) => !gone.has(r.application._id));
    }
    for (let i = 0; i < (change.create ?? 0); i++) {
      const record = newRecord(mutationRng, relations, candidates, records, at, at);
      records.push(record);
      result.created.push(record.application._id);
    }
    return result;
  }

  function takeRandom(from: readonly SandboxRecord[], count: number): SandboxRecord[] {
    const pool = [...from];
    const taken: SandboxRecord[] = [];
    while (taken.length < count && pool.length > 0) {
      taken.push(pool.splice(mutationRng.int(0, pool.length - 1), 1)[0]!);
    }
    return taken;
  }

  function findRecord(opts: SendWebhookOptions): SandboxRecord {
    if (opts.application !== undefined) {
      const found = records.find((r) => r.application._id === opts.application) ?? removed.get(opts.application);
      if (!found) throw new Error(`sandbox has no application ${opts.application}`);
      return found;
    }
    const pool = opts.event === "application.deleted" ? [...removed.values()] : records;
    const latest = [...pool].sort(compareRecords).at(-1);
    if (!latest) throw new Error(`sandbox has no application for ${opts.event}; mutate() first`);
    return latest;
  }

  async function sendWebhook(opts: SendWebhookOptions): Promise<SendWebhookResult> {
    const record = structuredClone(findRecord(opts));
    const deliveryId = opts.deliveryId ?? crypto.randomUUID();
    const payload = webhookPayload(record, opts.event, deliveryId, opts.scopeId);
    const rawBody = JSON.stringify(payload);
    const headers = await signWebhook(opts.secret, rawBody, opts.timestamp ?? Math.floor(now() / 1000));
    const res = await fetch(webhookUrl(opts.targetUrl), { method: "POST", headers: { ...headers }, body: rawBody });
    stats.webhooksSent++;
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: hand back the text as is.
    }
    return { status: res.status, body, deliveryId, payload, rawBody, headers };
  }

  return {
    /** Base URL for HOKIFY_BASE_URL; only after start(). */
    get url(): string {
      if (port === undefined) throw new Error("sandbox not started");
      return `http://127.0.0.1:${port}`;
    },
    mandator,
    apiToken,
    start,
    stop,
    mutate,
    /** Replaces the fault configuration and restarts the "first N" counters. */
    setFaults(faults: SandboxFaults): void {
      faultPlan = createFaultPlan(faults, faultRng);
    },
    stats: (): SandboxStats => ({ ...stats }),
    /** Current applications in paging order (updatedAt, _id), each with its relation; a copy. */
    applications: (): SandboxRecord[] => structuredClone([...records].sort(compareRecords)),
    relations: (): SandboxRelation[] => structuredClone(relations),
    /** Invalidates every issued access token, as a server-side revocation would. */
    expireTokens(): void {
      tokens.clear();
    },
    signWebhook: (secret: string, body: string, timestamp?: number) =>
      signWebhook(secret, body, timestamp ?? Math.floor(now() / 1000)),
    sendWebhook,
  };
}
