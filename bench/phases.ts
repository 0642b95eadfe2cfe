import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { request } from "node:http";
import { Readable } from "node:stream";
import { DEFINITION, ENTITY_KEY, PROFILE, PROFILE_KEY, type PackagePlan } from "./generate.js";
import type { BenchServer } from "./server-process.js";

/**
 * The measured phases, each one HTTP request to the running server, timed from the first byte
 * sent to the last byte received. Responses are read to the end but never held whole: only
 * their first 64 KiB (enough for `Summary`) and their newline count are kept.
 */

export type PhaseName = "seed" | "plan" | "apply" | "reapply" | "export" | "replay";
export const MEASURED: PhaseName[] = ["plan", "apply", "reapply", "export", "replay"];

export type PhaseResult =
  | { ok: true; ms: number; items: number; rate: number; check: string; summary?: Record<string, number> }
  | { ok: false; reason: string; ms?: number };

type Reply = { status: number; ms: number; bytes: number; head: string; newlines: number };

const HEAD_BYTES = 64 * 1024;

/** One request over a fresh connection; the body may be a stream. Never keeps the reply whole. */
function send(
  url: string,
  init: { method: string; headers: Record<string, string | number>; body?: Readable | string; timeoutMs: number },
): Promise<Reply> {
  return new Promise((ok, fail) => {
    const started = performance.now();
    const req = request(url, { method: init.method, headers: { ...init.headers, connection: "close" }, agent: false }, (res) => {
      const head: Buffer[] = [];
      let headLength = 0;
      let bytes = 0;
      let newlines = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
        if (headLength < HEAD_BYTES) (head.push(chunk), (headLength += chunk.length));
      });
      res.on("end", () => {
        clearTimeout(timer);
        ok({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes, head: Buffer.concat(head).toString("utf8", 0, HEAD_BYTES), newlines });
      });
      res.on("error", fail);
    });
    const timer = setTimeout(() => req.destroy(new Error(`timed out after ${Math.round(init.timeoutMs / 1000)} s`)), init.timeoutMs);
    req.on("error", (e) => (clearTimeout(timer), fail(e)));
    if (init.body instanceof Readable) init.body.on("error", (e) => req.destroy(e)).pipe(req);
    else req.end(init.body);
  });
}

/** A multipart/form-data body with text fields and the package file streamed from disk. */
async function multipart(fields: Record<string, string>, filePath: string): Promise<{ body: Readable; length: number; type: string }> {
  const boundary = `----bench${Date.now().toString(16)}`;
  let pre = "";
  for (const [name, value] of Object.entries(fields)) pre += `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  pre += `--${boundary}\r\nContent-Disposition: form-data; name="File"; filename="package.json"\r\nContent-Type: application/json\r\n\r\n`;
  const post = `\r\n--${boundary}--\r\n`;
  const size = (await stat(filePath)).size;
  async function* parts() {
    yield Buffer.from(pre);
    yield* createReadStream(filePath, { highWaterMark: 1 << 20 });
    yield Buffer.from(post);
  }
  return { body: Readable.from(parts()), length: Buffer.byteLength(pre) + size + Buffer.byteLength(post), type: `multipart/form-data; boundary=${boundary}` };
}

const auth = (server: BenchServer) => ({ authorization: `Bearer ${server.token}` });
const base = `/api/workspace/entity/${ENTITY_KEY}/data-transfer`;

function summaryOf(head: string): Record<string, number> | undefined {
  const m = /"Summary":(\{[^{}]*\})/.exec(head);
  return m ? (JSON.parse(m[1]!) as Record<string, number>) : undefined;
}

/** Compares a reply's Summary with what the generated package must produce. */
function checkSummary(summary: Record<string, number> | undefined, expected: Record<string, number>): string {
  if (!summary) return "no Summary in the reply";
  const wrong = Object.entries(expected).filter(([k, v]) => summary[k] !== v);
  return wrong.length ? `unexpected ${wrong.map(([k, v]) => `${k}=${summary[k]} (expected ${v})`).join(", ")}` : "ok";
}

const failure = (reply: Reply, server: BenchServer): PhaseResult => {
  const log = server.stderrTail().trim();
  return { ok: false, ms: reply.ms, reason: `HTTP ${reply.status}: ${reply.head.slice(0, 400)}${log ? ` — server stderr: ${log.slice(-800)}` : ""}` };
};

/** Creates the candidate definition and the by_email profile. */
export async function setup(server: BenchServer): Promise<void> {
  for (const [path, body] of [
    ["/api/workspace/entity-definitions", DEFINITION],
    [`${base}/profiles`, PROFILE],
  ] as const) {
    const res = await fetch(server.url + path, { method: "POST", headers: { ...auth(server), "content-type": "application/json" }, body: JSON.stringify(body) });
    if (res.status !== 200 && res.status !== 201) throw new Error(`setup ${path}: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
}

async function upload(server: BenchServer, kind: "plan" | "apply", filePath: string, rows: number, timeoutMs: number): Promise<Reply> {
  const fields: Record<string, string> = { ProfileId: PROFILE_KEY };
  if (kind === "apply") fields.SelectedRowIndexes = `1-${rows}`;
  const form = await multipart(fields, filePath);
  return send(`${server.url}${base}/import/json/${kind}`, {
    method: "POST",
    headers: { ...auth(server), "content-type": form.type, "content-length": form.length },
    body: form.body,
    timeoutMs,
  });
}

export type PhaseContext = { server: BenchServer; plan: PackagePlan; packageFile: string; seedFile: string; timeoutMs: number };

/** Runs one phase; a thrown error (timeout, connection reset by a dying server) becomes a failed result. */
export async function runPhase(name: PhaseName, ctx: PhaseContext): Promise<PhaseResult> {
  try {
    return await PHASES[name](ctx);
  } catch (error) {
    // A crash shows up as a reset connection first; give the exit event a moment to name it.
    await new Promise((r) => setTimeout(r, 500));
    return { ok: false, reason: ctx.server.exitReason() ?? (error instanceof Error ? error.message : String(error)) };
  }
}

const PHASES: Record<PhaseName, (ctx: PhaseContext) => Promise<PhaseResult>> = {
  async seed({ server, plan, seedFile, timeoutMs }) {
    const reply = await upload(server, "apply", seedFile, plan.existing, timeoutMs);
    if (reply.status !== 200) return failure(reply, server);
    const summary = summaryOf(reply.head);
    return done(reply.ms, plan.existing, checkSummary(summary, { AppliedRows: plan.existing, CreateRows: plan.existing }), summary);
  },

  async plan({ server, plan, packageFile, timeoutMs }) {
    const reply = await upload(server, "plan", packageFile, plan.size, timeoutMs);
    if (reply.status !== 200) return failure(reply, server);
    const c = plan.counts;
    const summary = summaryOf(reply.head);
    const check = checkSummary(summary, { TotalRows: plan.size, ErrorRows: c.error, CreateRows: c.new + c.error, UpdateRows: c.changed, SkipRows: c.unchanged });
    return done(reply.ms, plan.size, check, summary);
  },

  async apply({ server, plan, packageFile, timeoutMs }) {
    const reply = await upload(server, "apply", packageFile, plan.size, timeoutMs);
    if (reply.status !== 200) return failure(reply, server);
    const c = plan.counts;
    const summary = summaryOf(reply.head);
    const check = checkSummary(summary, { SelectedRows: plan.size, AppliedRows: plan.size - c.error, FailedRows: c.error, UpdateRows: c.changed, SkipRows: c.unchanged });
    return done(reply.ms, plan.size, check, summary);
  },

  async reapply({ server, plan, packageFile, timeoutMs }) {
    const reply = await upload(server, "apply", packageFile, plan.size, timeoutMs);
    if (reply.status !== 200) return failure(reply, server);
    const c = plan.counts;
    const summary = summaryOf(reply.head);
    const check = checkSummary(summary, { AppliedRows: plan.size - c.error, FailedRows: c.error, UpdateRows: 0, SkipRows: plan.size - c.error });
    return done(reply.ms, plan.size, check, summary);
  },

  async export({ server, plan, timeoutMs }) {
    const reply = await send(`${server.url}${base}/export/json`, {
      method: "POST",
      headers: { ...auth(server), "content-type": "application/json" },
      body: JSON.stringify({ ProfileId: PROFILE_KEY }),
      timeoutMs,
    });
    if (reply.status !== 200) return failure(reply, server);
    // One record per line after the head line; the closing "]}" ends with the last newline.
    const records = Math.max(0, reply.newlines - 1);
    const expected = plan.existing + plan.counts.new;
    return done(reply.ms, records, records === expected ? "ok" : `exported ${records} records (expected ${expected})`);
  },

  async replay({ server, timeoutMs }) {
    const reply = await send(`${server.url}/api/admin/replay`, { method: "POST", headers: auth(server), timeoutMs });
    if (reply.status !== 200) return failure(reply, server);
    const report = JSON.parse(reply.head).Data as { Events: number; Equal: boolean; EventsPerSecond: number };
    return done(reply.ms, report.Events, report.Equal ? "ok" : "replay reports a difference (Equal: false)", { ServerEventsPerSecond: report.EventsPerSecond });
  },
};

function done(ms: number, items: number, check: string, summary?: Record<string, number>): PhaseResult {
  return { ok: true, ms, items, rate: items / (ms / 1000), check, ...(summary ? { summary } : {}) };
}
