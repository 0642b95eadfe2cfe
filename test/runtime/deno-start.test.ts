import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { count, openDb } from "../support/db.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { waitForOutput, stop } from "../support/processes.js";
import { ADMIN, client, file } from "../support/server.js";

/**
 * `npm run start:deno`, exactly: the Deno binary from node_modules (the `deno` npm package), npm packages
 * from ./node_modules (deno.json: nodeModulesDir "manual"), narrow permissions, nothing downloaded.
 */
const START_DENO =
  "deno run --no-prompt --no-remote --allow-net=127.0.0.1 --allow-env --allow-read=./db --allow-write=./data --allow-ffi=./node_modules/@libsql --allow-sys=cpus,networkInterfaces,hostname src/runtime/deno.ts";

const root = resolve(fileURLToPath(import.meta.url), "../../..");
const deno = join(root, "node_modules", ".bin", "deno");
// Inside ./data, so the script's own --allow-write covers the database folder (data/ is git-ignored).
mkdirSync(join(root, "data"), { recursive: true });
const dataDir = mkdtempSync(join(root, "data", "deno-start-"));
const dbFile = join(dataDir, "fresh", "db.sqlite");
// A fresh, empty Deno cache: whatever the run needs must come from the repository and node_modules.
const denoDir = mkdtempSync(join(tmpdir(), "deno-dir-"));

let child: ChildProcess | undefined;
let output = "";
let base = "";

beforeAll(async () => {
  const [cmd, ...args] = START_DENO.split(" ");
  expect(cmd).toBe("deno");
  child = spawn(deno, args, {
    cwd: root,
    env: {
      ...process.env,
      DENO_DIR: denoDir,
      NO_COLOR: "1",
      // Any attempt to fetch an npm package would fail here instead of quietly downloading.
      NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/",
      PORT: "0",
      HOST: "",
      LIBSQL_URL: `file:${relative(root, dbFile)}`,
      API_TOKENS: JSON.stringify({ [ADMIN]: ["*"] }),
      AUTH_DISABLED: "",
      LOG_LEVEL: "silent",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  // The start-up lines end with the /docs line when API_TOKENS is set.
  const [, url] = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)[^]*API reference: \S+\/docs\n/, 45_000);
  base = url!;
}, 60_000);

afterAll(async () => {
  await stop(child, "SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(denoDir, { recursive: true, force: true });
});

describe("npm run start:deno (Deno runtime)", () => {
  it("package.json's start:deno script is the command this test runs", () => {
    const scripts = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts ?? {};
    expect(scripts["start:deno"], "add this line to package.json's scripts").toBe(START_DENO);
  });

  it("prints where it listens and the docs, and prints no one-time token when API_TOKENS is set", () => {
    expect(output).toContain(`Import service listening on ${base} (database file:`);
    expect(output).toContain(`API reference: ${base}/docs`);
    expect(output).not.toContain("one-time token");
  });

  it("serves the smoke flow over HTTP: definition → profile → plan → apply → export → instance", async () => {
    const api = client(base);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await api.get(paths.definitions, { token: null })).status).toBe(401);

    await seedCandidate({ api });
    const defs = await api.get(paths.definitions);
    expect(defs.status).toBe(200);
    expect(defs.body.Data.map((d: { Key: string }) => d.Key)).toEqual(["candidate"]);

    const people = pkg([
      { Fields: { email: "anna@example.at", first_name: "Anna", age: 31 } },
      { Fields: { email: "ben@example.at", first_name: "Ben", stage: "interview" } },
    ]);
    const plan = await api.upload(paths.plan(), { ProfileId: "by_email", File: file(people) });
    expect(plan.status).toBe(200);
    expect(plan.body.Data.Summary).toMatchObject({ TotalRows: 2, ValidRows: 2, ErrorRows: 0, CreateRows: 2, UpdateRows: 0, SkipRows: 0 });

    const apply = await api.upload(paths.apply(), { ProfileId: "by_email", File: file(people), SelectedRowIndexes: "1-2" }, { headers: { "Idempotency-Key": "deno-smoke" } });
    expect(apply.status).toBe(200);
    expect(apply.body.Data.Summary).toEqual({ SelectedRows: 2, AppliedRows: 2, FailedRows: 0, WarningRows: 0, CreateRows: 2, UpdateRows: 0, SkipRows: 0 });
    const [anna, ben] = apply.body.Data.Rows;

    const exported = await api.post(paths.export(), { ProfileId: "by_email" });
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-disposition")).toMatch(/attachment; filename="candidate-/);
    expect(exported.body).toMatchObject({ FormatVersion: 1, Entity: { Key: "candidate" }, Profile: { Key: "by_email" } });
    expect(exported.body.Records).toEqual([
      { InstanceId: anna.InstanceId, RowVersion: anna.RowVersion, Fields: { email: "anna@example.at", first_name: "Anna", last_name: null, age: 31, stage: null } },
      { InstanceId: ben.InstanceId, RowVersion: ben.RowVersion, Fields: { email: "ben@example.at", first_name: "Ben", last_name: null, age: null, stage: "interview" } },
    ]);

    const instance = await api.get(`${paths.instances()}/${ben.InstanceId}`);
    expect(instance.status).toBe(200);
    expect(instance.body.Data).toMatchObject({ Id: ben.InstanceId, EntityKey: "candidate", Version: 1, RowVersion: ben.RowVersion, Deleted: false });
    expect(instance.body.Data.Fields).toEqual({ email: "ben@example.at", first_name: "Ben", stage: "interview" });

    // The export re-imports as a no-op.
    const again = await api.upload(paths.plan(), { ProfileId: "by_email", File: file(exported.body) });
    expect(again.body.Data.Summary).toMatchObject({ TotalRows: 2, SkipRows: 2, ErrorRows: 0 });
  });

  it("stops cleanly on SIGTERM, leaving the flow in the embedded libSQL file and nothing downloaded", async () => {
    expect(await stop(child, "SIGTERM")).toBe(0);
    expect(output).toContain("SIGTERM: finishing open requests, then closing.");
    const db = openDb(dbFile);
    try {
      expect(await count(db, "SELECT count(*) FROM instances")).toBe(2);
      expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'")).toBe(1);
    } finally {
      db.close();
    }
    const npmCache = join(denoDir, "npm");
    expect(existsSync(npmCache) ? readdirSync(npmCache) : []).toEqual([]);
  });
});
