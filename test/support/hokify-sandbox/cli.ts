import { parseArgs } from "node:util";
import { createHokifySandbox } from "./sandbox.js";
import type { WebhookEvent } from "./webhook.js";

/**
 * Command-line front end of the Hokify sandbox (127.0.0.1 only).
 *
 *   tsx test/support/hokify-sandbox/cli.ts [--port 8788] [--applications 50] [--seed 1]
 *       [--rate429 0.1] [--rate500 0.05] [--slow-ms 200] [--token-ttl 3600]
 *   tsx test/support/hokify-sandbox/cli.ts send-webhook --target URL --secret S
 *       [--event application.updated] [--scope 1] [--seed 1]
 *
 * Flags win over env: PORT, HOKIFY_MANDATOR, HOKIFY_API_TOKEN, HOKIFY_WEBHOOK_SECRET,
 * SANDBOX_APPLICATIONS, SANDBOX_SEED, SANDBOX_RATE_429, SANDBOX_RATE_500, SANDBOX_SLOW_MS, SANDBOX_TOKEN_TTL.
 */

const EVENTS: readonly WebhookEvent[] = ["application.created", "application.updated", "application.deleted"];
const env = process.env;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: "string" },
    applications: { type: "string" },
    seed: { type: "string" },
    rate429: { type: "string" },
    rate500: { type: "string" },
    "slow-ms": { type: "string" },
    "token-ttl": { type: "string" },
    target: { type: "string" },
    secret: { type: "string" },
    event: { type: "string" },
    scope: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function num(name: string, raw: string | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > max) fail(`${name} must be a number in 0…${max}, got "${raw}"`);
  return n;
}

function fail(message: string): never {
  console.error(`hokify-sandbox: ${message}`);
  process.exit(2);
}

const mandator = env.HOKIFY_MANDATOR || "sandbox";
const apiToken = env.HOKIFY_API_TOKEN || "sandbox-token";
const seed = num("--seed / SANDBOX_SEED", values.seed ?? env.SANDBOX_SEED, 1);
const applications = num("--applications / SANDBOX_APPLICATIONS", values.applications ?? env.SANDBOX_APPLICATIONS, 50);

if (values.help) {
  console.log("See the header of test/support/hokify-sandbox/cli.ts and docs/hokify.md.");
} else if (positionals[0] === "send-webhook") {
  await sendWebhook();
} else if (positionals.length > 0) {
  fail(`unknown command "${positionals[0]}" (known: send-webhook)`);
} else {
  await serveSandbox();
}

async function serveSandbox(): Promise<void> {
  const sandbox = createHokifySandbox({
    mandator,
    apiToken,
    seed,
    applications,
    port: num("--port / PORT", values.port ?? env.PORT, 8788, 65535),
    tokenTtlSeconds: num("--token-ttl / SANDBOX_TOKEN_TTL", values["token-ttl"] ?? env.SANDBOX_TOKEN_TTL, 3600) || 3600,
    faults: {
      rate429: num("--rate429 / SANDBOX_RATE_429", values.rate429 ?? env.SANDBOX_RATE_429, 0, 1),
      rate500: num("--rate500 / SANDBOX_RATE_500", values.rate500 ?? env.SANDBOX_RATE_500, 0, 1),
      slowMs: num("--slow-ms / SANDBOX_SLOW_MS", values["slow-ms"] ?? env.SANDBOX_SLOW_MS, 0),
    },
  });
  await sandbox.start();
  console.log(`Hokify sandbox: ${sandbox.url} (${applications} applications, seed ${seed})`);
  console.log("Environment for the import service:");
  console.log(`  HOKIFY_BASE_URL=${sandbox.url}`);
  console.log(`  HOKIFY_MANDATOR=${mandator}`);
  console.log(`  HOKIFY_API_TOKEN=${apiToken}`);
  console.log(`  HOKIFY_WEBHOOK_SECRET=${env.HOKIFY_WEBHOOK_SECRET || "sandbox-webhook-secret"}`);
  console.log("Ctrl+C stops it.");
  const shutdown = () => {
    void sandbox.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

/**
 * Uses a fresh sandbox with the same seed, not the running one: the delivered application is
 * generated data with one change of the requested kind applied.
 */
async function sendWebhook(): Promise<void> {
  const target = values.target ?? fail("send-webhook needs --target URL (the service origin or the full webhook URL)");
  const secret = values.secret ?? env.HOKIFY_WEBHOOK_SECRET ?? fail("send-webhook needs --secret S or HOKIFY_WEBHOOK_SECRET");
  const event = (values.event ?? "application.updated") as WebhookEvent;
  if (!EVENTS.includes(event)) fail(`--event must be one of ${EVENTS.join(", ")}`);
  const scope = values.scope === undefined ? undefined : num("--scope", values.scope, 1);

  const sandbox = createHokifySandbox({ mandator, apiToken, seed, applications });
  const changed = sandbox.mutate({
    create: event === "application.created" ? 1 : 0,
    update: event === "application.updated" ? 1 : 0,
    remove: event === "application.deleted" ? 1 : 0,
  });
  const application = [...changed.created, ...changed.updated, ...changed.removed][0];
  const result = await sandbox.sendWebhook({ targetUrl: target, secret, event, application, scopeId: scope });
  console.log(`POST ${event} delivery ${result.deliveryId} (application ${application}) → ${result.status}`);
  console.log(typeof result.body === "string" ? result.body : JSON.stringify(result.body));
  process.exitCode = result.status >= 200 && result.status < 300 ? 0 : 1;
}
