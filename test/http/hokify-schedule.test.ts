import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { readConfig } from "../../src/config.js";
import { openDatabase } from "../../src/runtime/open-database.js";
import { acquireScopeLease } from "../../src/services/hokify-lease.js";
import { runScheduledImports } from "../../src/services/hokify-schedule.js";
import type { Deps } from "../../src/services/deps.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import type { HokifySandbox } from "../support/hokify-sandbox/sandbox.js";
import { hokifyEnv, sleep, startSandbox } from "../support/hokify.js";

/** The Worker's scheduled handler calls runScheduledImports(deps, config); here against the sandbox and a libSQL file. */
let sandbox: HokifySandbox;
let dir: string;
let deps: Deps;
beforeAll(async () => {
  sandbox = await startSandbox();
  dir = mkdtempSync(join(tmpdir(), "hokify-schedule-"));
  const client = await openDatabase(`file:${join(dir, "schedule.db")}`);
  deps = { store: createLibsqlEventStore(client), now: () => new Date(), newId: uuidv7 };
});
afterAll(async () => {
  await deps.store.close();
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = (extra: Record<string, string> = {}) => readConfig({ ...hokifyEnv(sandbox), HOKIFY_SCOPES: "1,2", PUBLIC_BASE_URL: "https://imports.example.com", ...extra });

describe("runScheduledImports", () => {
  it("runs an incremental import for every configured scope", async () => {
    const runs = await runScheduledImports(deps, config());
    expect(runs.map((r) => [r.scopeId, r.status])).toEqual([
      [1, "ran"],
      [2, "ran"],
    ]);
    const first = runs[0]!;
    if (first.status !== "ran") throw new Error("scope 1 did not run");
    expect(first.result.CreatedCounts.Application).toBe(12);
    expect(first.result.DownloadUrl).toBe(`https://imports.example.com/api/ExportImport/runs/${first.runId}/report`);
    const rows = await deps.store.query("SELECT scope_id, actor FROM import_runs WHERE kind = 'hokify' ORDER BY scope_id");
    expect(rows.map((r) => [Number(r.scope_id), String(r.actor)])).toEqual([
      [1, "scheduler"],
      [2, "scheduler"],
    ]);
  });

  it("continues each scope from its own high-water mark", async () => {
    sandbox.mutate({ update: 1 });
    await sleep(5);
    // Scope 2 ran last: both scopes read the same Hokify account here, and an application
    // belongs to the scope that imported it last.
    const runs = await runScheduledImports(deps, config({ HOKIFY_SCOPES: "2" }));
    const run = runs[0]!;
    if (run.status !== "ran") throw new Error("scope 2 did not run");
    expect(run.result.UpdatedCounts.Application).toBe(1);
    expect(run.result.CreatedCounts).toEqual({ Candidate: 0, Job: 0, Application: 0 });
  });

  it("skips a scope whose previous run still holds its lease, and runs the others", async () => {
    expect(await acquireScopeLease(deps.store, 2, "still-running", new Date())).toEqual({ ok: true });
    const runs = await runScheduledImports(deps, config());
    expect(runs.map((r) => r.status)).toEqual(["ran", "busy"]);
    expect(runs[1]).toEqual({ scopeId: 2, status: "busy", runId: "still-running" });
  });

  it("does nothing when Hokify is not configured", async () => {
    expect(await runScheduledImports(deps, readConfig({}))).toEqual([]);
  });
});
