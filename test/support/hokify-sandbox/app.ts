import { Buffer } from "node:buffer";
import { Hono } from "hono";
import type { SandboxRecord } from "./data.js";
import type { FaultPlan } from "./faults.js";
import { DataQuerySchema, selectPage } from "./paging.js";
import type { SandboxStats } from "./stats.js";

/** The sandbox's HTTP surface: Hokify's token and applications routes (docs/hokify.md §1–2). */

export interface SandboxState {
  mandator: string;
  apiToken: string;
  tokenTtlSeconds: number;
  now(): number;
  records(): readonly SandboxRecord[];
  faultPlan(): FaultPlan;
  stats: SandboxStats;
  /** Issued access token → expiry (ms). */
  tokens: Map<string, number>;
}

// Valid JSON that a careless proxy or an API change could produce: ids as numbers, no times.
const MALFORMED_SHAPE = [{ relationType: "job", relationId: 42, applications: [{ _id: 7, updatedAt: 1717000000 }] }];
const MALFORMED_HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>";

export function createSandboxApp(state: SandboxState): Hono {
  const app = new Hono();
  const { stats } = state;

  app.post("/ats-api/auth/token", (c) => {
    stats.tokenRequests++;
    const credentials = parseBasic(c.req.header("authorization"));
    if (!credentials || credentials.user !== state.mandator || credentials.password !== state.apiToken) {
      stats.tokenRejected++;
      c.header("WWW-Authenticate", 'Basic realm="hokify-ats-api"');
      return c.json({ error: "invalid_client" }, 401);
    }
    const accessToken = `sbx_${crypto.randomUUID()}`;
    state.tokens.set(accessToken, state.now() + state.tokenTtlSeconds * 1000);
    stats.tokensIssued++;
    return c.json({ access_token: accessToken, expires_in: state.tokenTtlSeconds, token_type: "Bearer" });
  });

  app.get("/ats-api/application/getAllApplications", async (c) => {
    stats.dataRequests++;
    const token = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    const expiresAt = token === undefined ? undefined : state.tokens.get(token);
    if (token === undefined || expiresAt === undefined || expiresAt <= state.now()) {
      if (token !== undefined) state.tokens.delete(token);
      stats.served401++;
      c.header("WWW-Authenticate", 'Bearer error="invalid_token"');
      return c.json({ error: "invalid_token" }, 401);
    }

    const plan = state.faultPlan();
    if (plan.faults.slowMs) await new Promise((r) => setTimeout(r, plan.faults.slowMs));
    // Faults come before validation: they stand for the gateway in front of the API.
    const fault = plan.next();
    if (fault === "throttle") {
      stats.served429++;
      const retryAfter = plan.faults.retryAfterSeconds === undefined ? 1 : plan.faults.retryAfterSeconds;
      if (retryAfter !== null) c.header("Retry-After", String(retryAfter));
      return c.json({ error: "too_many_requests" }, 429);
    }
    if (fault === "fail") {
      stats.served500++;
      return c.json({ error: "internal_error" }, 500);
    }
    if (fault === "malformed") {
      stats.servedMalformed++;
      return plan.faults.malformedKind === "not-json" ? c.html(MALFORMED_HTML, 200) : c.json(MALFORMED_SHAPE, 200);
    }

    const query = DataQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      stats.served400++;
      const issues = query.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      return c.json({ error: "invalid_query", issues }, 400);
    }
    stats.served200++;
    return c.json(selectPage(state.records(), query.data));
  });

  return app;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "")?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
