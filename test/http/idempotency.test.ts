import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { count, openDb } from "../support/db.js";

let server: TestServer;
let db: Client;
beforeAll(async () => {
  server = await startTestServer();
  db = openDb(server.dbFile);
  await seedCandidate(server);
});
afterAll(async () => {
  db.close();
  await server.close();
});

const doc = pkg([{ Fields: { email: "idem@example.at", first_name: "Ida" } }, { Fields: { email: "other@example.at" } }]);
const apply = (key: string, selection = "1-2") =>
  server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: selection }, { headers: { "Idempotency-Key": key } });

describe("Idempotency-Key", () => {
  it("replays the first response for a repeat and records nothing new", async () => {
    const first = await apply("key-1");
    expect(first.status).toBe(200);
    expect(first.body.Data.Summary.CreateRows).toBe(2);
    const events = await count(db, "SELECT count(*) FROM events");
    // A new FormData: a different multipart boundary, the same request.
    const repeat = await apply("key-1");
    expect(repeat.status).toBe(200);
    expect(repeat.text).toBe(first.text);
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(await count(db, "SELECT count(*) FROM events")).toBe(events);
  });

  it("answers 409 when the key is reused for a different request", async () => {
    const r = await apply("key-1", "1");
    expect(r.status).toBe(409);
    expect(r.body.Data).toBeNull();
    expect(r.body.Errors[0]).toMatchObject({ Code: "idempotency_key_reused", Category: 4 });
  });

  it("serves concurrent twins once", async () => {
    const events = await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'");
    const [a, b] = await Promise.all([apply("key-2"), apply("key-2")]);
    expect(a.text).toBe(b.text);
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'")).toBe(events + 1);
  });

  it("applies to JSON routes too", async () => {
    const body = { Key: "job", DisplayNameSingular: "Job", DisplayNamePlural: "Jobs", Fields: [{ Key: "title", Label: "Title", Type: "string" }] };
    const first = await server.api.post(paths.definitions, body, { headers: { "Idempotency-Key": "def-1" } });
    const again = await server.api.post(paths.definitions, body, { headers: { "Idempotency-Key": "def-1" } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.Data.Id).toBe(first.body.Data.Id);
    expect((await server.api.post(paths.definitions, { ...body, Key: "job2" }, { headers: { "Idempotency-Key": "def-1" } })).status).toBe(409);
  });
});
