import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, waitForOutput } from "../support/processes.js";
import { npmStartNodeArgs } from "../../bench/start-command.js";

const START_WAIT_MS = 60_000;

/** The processes `pid` started that still run (a thread that ends meanwhile has none). */
const childPids = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
const dir = mkdtempSync(join(tmpdir(), "node-start-"));
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start (Node runtime)", () => {
  it("migrates a fresh file database, prints a one-time token, serves, and exits cleanly on SIGTERM", async () => {
    child = spawn(process.execPath, npmStartNodeArgs(process.cwd()), {
      env: { ...process.env, PORT: "0", LIBSQL_URL: `file:${join(dir, "fresh", "db.sqlite")}`, API_TOKENS: "", AUTH_DISABLED: "", LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // One wait for both lines: a second wait would miss a token line that arrived in the same
    // chunk of output as the first (waitForOutput sees only what is printed after it starts).
    // The wait gives up before the test does, so a failure shows what the server printed.
    const [, url, token] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[^]*every scope until the process stops:\s+(\S+)/, START_WAIT_MS);
    expect((await fetch(`${url}/api/workspace/entity-definitions`)).status).toBe(401);
    const ok = await fetch(`${url}/api/workspace/entity-definitions`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ Data: [], Errors: [], Warnings: [] });
    // Its read process (READ_PROCESS, on by default) runs beside it, and ends with it.
    const reads = childPids(child.pid!);
    expect(reads.map(commandLine)).toEqual([expect.stringContaining("src/runtime/read-process.mjs")]);
    const exited = new Promise<number | null>((r) => child!.on("exit", (code) => r(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(reads.filter(isAlive)).toEqual([]);
  }, START_WAIT_MS + 30_000);
});
