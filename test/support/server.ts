import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readConfig } from "../../src/config.js";
import { silentLogger } from "../../src/app.js";
import { startNodeServer, type RunningServer } from "../../src/runtime/node-server.js";

export const ADMIN = "admin-token-0123456789abcdef";
export const PLANNER = "planner-token-0123456789abcd";
export const READER = "reader-token-0123456789abcde";

export const TOKENS = {
  [ADMIN]: ["*"],
  [PLANNER]: ["import:plan"],
  [READER]: ["audit:read"],
};

export type TestServer = RunningServer & { dir: string; dbFile: string; api: ReturnType<typeof client> };

/** A real server on 127.0.0.1 with a real libSQL file in a fresh temp folder. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "import-service-"));
  const dbFile = join(dir, "test.db");
  const config = readConfig({ LIBSQL_URL: `file:${dbFile}`, PORT: "0", API_TOKENS: JSON.stringify(TOKENS), ...env });
  const server = await startNodeServer(config, silentLogger);
  return {
    ...server,
    dir,
    dbFile,
    api: client(server.url),
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Reply<T = any> = { status: number; body: T; headers: Headers; text: string };

export function client(base: string, token: string = ADMIN) {
  async function send(method: string, path: string, init: { json?: unknown; form?: FormData; headers?: Record<string, string>; token?: string | null } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    const tok = init.token === undefined ? token : init.token;
    if (tok) headers.authorization = `Bearer ${tok}`;
    let body: BodyInit | undefined;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    } else if (init.form) body = init.form;
    const res = await fetch(base + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  }
  return {
    send,
    get: (path: string, opts: { token?: string | null; headers?: Record<string, string> } = {}) => send("GET", path, opts),
    post: (path: string, json: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}) => send("POST", path, { ...opts, json }),
    put: (path: string, json: unknown, opts: { token?: string | null; headers?: Record<string, string> } = {}) => send("PUT", path, { ...opts, json }),
    upload: (path: string, fields: Record<string, string | string[] | Blob | undefined>, opts: { token?: string | null; headers?: Record<string, string> } = {}) =>
      send("POST", path, { ...opts, form: formOf(fields) }),
  };
}

export function formOf(fields: Record<string, string | string[] | Blob | undefined>): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => form.append(k, x));
    else if (v instanceof Blob) form.append(k, v, "package.json");
    else form.append(k, v);
  }
  return form;
}

export const file = (doc: unknown) => new Blob([typeof doc === "string" ? doc : JSON.stringify(doc)], { type: "application/json" });
