import autocannon from "autocannon";
import { pathToFileURL } from "node:url";
import { CANDIDATE, BY_EMAIL, paths, pkg } from "../support/fixtures.js";
import { client, file } from "../support/server.js";
import { TOKEN, assertLog, assertReplay, rng, spawnServer, tempDb } from "./harness.js";

/**
 * `npm run load [-- --duration 60 --connections 8]`: autocannon against the server (a child
 * process on 127.0.0.1, libSQL file) for a fixed time with mixed traffic — per 10 requests, 2
 * plans, 1 apply and 7 reads (instance, list, history, audit) — every body prepared before the
 * run. Reports throughput and latency; fails on any error, timeout or non-2xx, and checks the
 * log and `npm run replay` afterwards. Loopback only; it stops by itself.
 */

export type LoadOptions = { durationS: number; connections: number; seedInstances?: number; seed?: number; log?: (line: string) => void };
export type LoadReport = {
  durationS: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  byKind: Record<string, number>;
  events: number;
  replayMs: number;
};

const BOUNDARY = "----reliabilityLoadBoundary7MA4YWxkTrZu0gW";
function multipart(fields: Record<string, string>, fileText: string): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="File"; filename="package.json"\r\nContent-Type: application/json\r\n\r\n${fileText}\r\n--${BOUNDARY}--\r\n`);
  return Buffer.from(parts.join(""));
}

export async function runLoad(opts: LoadOptions): Promise<LoadReport> {
  const log = opts.log ?? (() => {});
  const random = rng(opts.seed ?? 1);
  const seeded = opts.seedInstances ?? 2000;
  const tmp = tempDb("load");
  const server = await spawnServer({ dbFile: tmp.dbFile });
  try {
    const api = client(server.url, TOKEN);
    if ((await api.post(paths.definitions, CANDIDATE)).status !== 201) throw new Error("seed definition failed");
    if ((await api.post(paths.profiles(), BY_EMAIL)).status !== 201) throw new Error("seed profile failed");
    const seedDoc = pkg(Array.from({ length: seeded }, (_, i) => ({ Fields: { email: `s${i}@load.test`, first_name: `S${i}`, age: i % 90 } })));
    if ((await api.upload(paths.apply(), { ProfileId: "by_email", File: file(seedDoc), SelectedRowIndexes: `1-${seeded}` })).status !== 200) throw new Error("seed apply failed");
    const ids: string[] = [];
    for (let cursor: string | null = null; ; ) {
      const page = await api.get(`${paths.instances()}?limit=1000${cursor ? `&cursor=${cursor}` : ""}`);
      ids.push(...page.body.Data.Items.map((i: { Id: string }) => i.Id));
      cursor = page.body.Data.NextCursor;
      if (!cursor) break;
    }

    // Bodies prepared in advance. Plans: 50 records of seeded and new identities. Applies: 20
    // records each; even ones create new identities, odd ones change seeded ones.
    const planBodies = Array.from({ length: 64 }, (_, k) =>
      multipart({ ProfileId: "by_email" }, JSON.stringify(pkg(Array.from({ length: 50 }, (_, j) => ({ Fields: { email: j % 2 ? `s${(k * 50 + j) % seeded}@load.test` : `plan${k}-${j}@load.test`, first_name: `P${k}`, age: j } }))))),
    );
    const applyBodies = Array.from({ length: 2000 }, (_, k) =>
      multipart(
        { ProfileId: "by_email", SelectedRowIndexes: "1-20" },
        JSON.stringify(pkg(Array.from({ length: 20 }, (_, j) => ({ Fields: k % 2 === 0 ? { email: `new${k}-${j}@load.test`, first_name: `N${k}`, age: j } : { email: `s${(k * 20 + j) % seeded}@load.test`, first_name: `U${k}`, stage: "interview" } })))),
      ),
    );
    const auth = { authorization: `Bearer ${TOKEN}` };
    const form = { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` };
    const byKind: Record<string, number> = {};
    const statusCodes: Record<string, number> = {};
    let planIndex = 0;
    let applyIndex = 0;
    const pick = () => ids[Math.floor(random.next() * ids.length)]!;
    const kind = (name: string, setup: () => { method: string; path: string; body?: Buffer; headers?: Record<string, string> }) => ({
      setupRequest: (req: object) => ({ ...req, headers: auth, ...setup() }),
      onResponse: (status: number) => {
        byKind[name] = (byKind[name] ?? 0) + 1;
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
      },
    });
    const plan = kind("plan", () => ({ method: "POST", path: paths.plan(), headers: form, body: planBodies[planIndex++ % planBodies.length]! }));
    const apply = kind("apply", () => ({ method: "POST", path: paths.apply(), headers: form, body: applyBodies[applyIndex++ % applyBodies.length]! }));
    const instance = kind("instance", () => ({ method: "GET", path: `${paths.instances()}/${pick()}` }));
    const list = kind("list", () => ({ method: "GET", path: `${paths.instances()}?limit=50` }));
    const history = kind("history", () => ({ method: "GET", path: `${paths.instances()}/${pick()}/history` }));
    const audit = kind("audit", () => ({ method: "GET", path: `/api/audit/events?after=${Math.floor(random.next() * seeded)}&limit=50` }));

    log(`load: ${opts.connections} connections for ${opts.durationS} s against ${server.url} (${seeded} instances seeded)`);
    const result = await autocannon({
      url: server.url,
      connections: opts.connections,
      duration: opts.durationS,
      timeout: 30,
      requests: [plan, instance, list, apply, history, instance, audit, instance, plan, list],
    });
    await server.kill("SIGTERM");
    const state = await assertLog(tmp.dbFile, "after the load run");
    const replayMs = await assertReplay(tmp.dbFile, "after the load run");
    const report: LoadReport = {
      durationS: opts.durationS,
      connections: opts.connections,
      requests: result.requests.total,
      requestsPerSecond: Math.round(result.requests.average),
      latencyMs: { mean: result.latency.mean, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCodes,
      byKind,
      events: state.events,
      replayMs,
    };
    log(`load: ${report.requests} requests, ${report.requestsPerSecond} req/s, p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, ${report.errors} errors, ${report.timeouts} timeouts, ${report.non2xx} non-2xx; replay verified ${report.events} events in ${replayMs} ms`);
    return report;
  } finally {
    await server.kill("SIGKILL");
    tmp.remove();
  }
}

/** Throws unless the run was clean. */
export function assertCleanLoad(r: LoadReport): void {
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`load run not clean: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  runLoad({ durationS: arg("duration", 60), connections: arg("connections", 8), log: console.log })
    .then((r) => {
      console.log(JSON.stringify(r, null, 2));
      assertCleanLoad(r);
    })
    .catch((e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
