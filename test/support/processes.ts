import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/**
 * Waits until the process prints output matching `pattern` (counted from this call on: what it
 * printed before is not seen, so match several lines with one pattern); fails with its output on
 * timeout or exit.
 */
export function waitForOutput(proc: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(pattern);
      if (m) (clearTimeout(timer), resolve(m));
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    proc.on("exit", (code) => (clearTimeout(timer), reject(new Error(`exited with ${code} before ${pattern}; output:\n${out}`))));
  });
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export function stop(proc: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (!proc || proc.exitCode !== null) return Promise.resolve(proc?.exitCode ?? null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    proc.on("exit", (code) => (clearTimeout(timer), resolve(code)));
    proc.kill(signal);
  });
}

/** Whether a process of that pid still runs (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
}
