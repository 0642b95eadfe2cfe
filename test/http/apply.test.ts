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

const apply = (doc: unknown, selected: string | string[] | undefined, extra: Record<string, string> = {}) =>
  server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(doc), SelectedRowIndexes: selected, ...extra });

const people = pkg([
  { Fields: { email: "anna@example.at", first_name: "Anna", age: 31 } },
  { Fields: { email: "ben@example.at", first_name: "Ben", stage: "INTERVIEW" } },
  { Fields: { email: "cleo@example.at", first_name: "Cleo", age: "x" } },
  { Fields: { email: "dan@example.at", last_name: "Dee", shoe: 44 } },
]);

describe("apply", () => {
  it("commits the selected ready rows, fails the bad ones, and keeps SelectedRows = AppliedRows + FailedRows", async () => {
    const r = await apply(people, ["1", "2-3"]);
    expect(r.status).toBe(200);
    const { Summary, Rows } = r.body.Data;
    expect(Summary).toEqual({ SelectedRows: 3, AppliedRows: 2, FailedRows: 1, WarningRows: 0, CreateRows: 3, UpdateRows: 0, SkipRows: 0 });
    expect(Rows.map((x: { RowIndex: number }) => x.RowIndex)).toEqual([1, 2, 3]);
    expect(Rows[0]).toMatchObject({ Action: 0, Status: 0, ChangedFieldKeys: ["age", "email", "first_name"] });
    expect(Rows[0].InstanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Rows[0].RowVersion).toMatch(/^[0-9a-f-]{36}$/);
    expect(Rows[1].ChangedFieldKeys).toEqual(["email", "first_name", "stage"]);
    expect(Rows[2]).toMatchObject({ Status: 2, InstanceId: null, RowVersion: null, ChangedFieldKeys: [] });
    expect(Rows[2].Errors[0]).toMatchObject({ Code: "invalid_field_value", FieldKey: "age", RowIndex: 3 });

    const stored = await server.api.get(`${paths.instances()}/${Rows[1].InstanceId}`);
    expect(stored.body.Data).toMatchObject({ EntityKey: "candidate", Version: 1, Deleted: false, RowVersion: Rows[1].RowVersion });
    expect(stored.body.Data.Fields).toEqual({ email: "ben@example.at", first_name: "Ben", stage: "interview" });
  });

  it("stores each applied row's event together with its projection row", async () => {
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'InstanceCreated'")).toBe(await count(db, "SELECT count(*) FROM instances"));
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'")).toBe(1);
  });

  it("applies rows with warnings as AppliedWithWarnings", async () => {
    const r = await apply(people, "4");
    expect(r.body.Data.Rows[0]).toMatchObject({ Status: 1, Action: 0 });
    expect(r.body.Data.Summary.WarningRows).toBe(1);
  });

  it("applying the same file twice changes nothing the second time (all Skip, RowVersion kept)", async () => {
    const first = await apply(people, "1,2,4");
    expect(first.body.Data.Summary.SkipRows).toBe(3);
    const eventsBefore = await count(db, "SELECT count(*) FROM events WHERE type LIKE 'Instance%'");
    const again = await apply(people, "1,2,4");
    expect(again.body.Data.Summary).toMatchObject({ SelectedRows: 3, AppliedRows: 3, SkipRows: 3, CreateRows: 0, UpdateRows: 0 });
    expect(await count(db, "SELECT count(*) FROM events WHERE type LIKE 'Instance%'")).toBe(eventsBefore);
    const anna = again.body.Data.Rows[0];
    expect(anna.ChangedFieldKeys).toEqual([]);
    expect(anna.RowVersion).toBe(anna.RowVersion && first.body.Data.Rows[0].RowVersion);
    expect(anna.InstanceId).toBe(anna.MatchedInstanceId);
  });

  it("updates only what changed, with a new RowVersion and sorted ChangedFieldKeys", async () => {
    const r = await apply(pkg([{ Fields: { email: "ANNA@example.at", first_name: "Anna", age: 32, stage: "hired" } }]), "1");
    const row = r.body.Data.Rows[0];
    expect(row).toMatchObject({ Action: 1, Status: 0, ChangedFieldKeys: ["age", "email", "stage"] });
    expect(row.InstanceId).toBe(row.MatchedInstanceId);
    const inst = await server.api.get(`${paths.instances()}/${row.InstanceId}`);
    expect(inst.body.Data).toMatchObject({ Version: 2, RowVersion: row.RowVersion });
    expect(inst.body.Data.Fields).toMatchObject({ age: 32, stage: "hired", email: "ANNA@example.at" });
  });

  it("fails a row whose RowVersion is stale with concurrency_conflict and applies the rest", async () => {
    const list = await server.api.get(paths.instances());
    const anna = list.body.Data.Items.find((i: { Fields: { first_name?: string } }) => i.Fields.first_name === "Anna");
    const r = await apply(
      pkg([
        { InstanceId: anna.Id, RowVersion: "0190a000-0000-7000-8000-000000000000", Fields: { email: "anna@example.at", age: 99 } },
        { Fields: { email: "eve@example.at" } },
      ]),
      "1-2",
    );
    expect(r.body.Data.Rows[0]).toMatchObject({ Status: 2, Action: 2 });
    expect(r.body.Data.Rows[0].Errors[0].Code).toBe("concurrency_conflict");
    expect(r.body.Data.Rows[1]).toMatchObject({ Status: 0, Action: 0 });
    const current = await server.api.get(`${paths.instances()}/${anna.Id}`);
    expect(current.body.Data.Fields.age).toBe(32);
    const fresh = await apply(pkg([{ InstanceId: anna.Id, RowVersion: current.body.Data.RowVersion, Fields: { email: "anna@example.at", age: 33 } }]), "1");
    expect(fresh.body.Data.Rows[0]).toMatchObject({ Status: 0, Action: 1, ChangedFieldKeys: ["age", "email"] });
  });

  it("refuses missing, empty, malformed, duplicated and out-of-range selections with 400 invalid_selection", async () => {
    for (const selection of [undefined, "", " , ", "a", "1-", "0", "3-1", "1,1", "1-3,2", "5", "1.5"]) {
      const r = await apply(people, selection);
      expect(r.status, JSON.stringify(selection)).toBe(400);
      expect(r.body.Data).toBeNull();
      expect(r.body.Errors[0]).toMatchObject({ Code: "invalid_selection", Type: 12, FieldKey: "SelectedRowIndexes" });
    }
    const eventsAfter = await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'");
    expect((await apply(people, ["1", "2"])).status).toBe(200);
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportApplied'")).toBe(eventsAfter + 1);
  });

  it("answers 400/404 like plan for unusable packages and unknown targets", async () => {
    expect((await apply({ FormatVersion: 9, Records: [] }, "1")).body.Errors[0].Code).toBe("unsupported_version");
    expect((await server.api.upload(paths.apply("nope"), { ProfileId: "by_email", File: file(people), SelectedRowIndexes: "1" })).status).toBe(404);
    expect((await server.api.upload(paths.apply(), { ProfileId: "nope", File: file(people), SelectedRowIndexes: "1" })).status).toBe(404);
  });

  it("creates instances with the package's ids in InstanceId mode and matches them later", async () => {
    await server.api.post(paths.profiles(), { Key: "by_id", Name: "By id", ImportMode: 0, IdentityMode: 1 });
    const doc = pkg([{ InstanceId: "legacy-42", Fields: { email: "legacy@example.at" } }]);
    const created = await server.api.upload(paths.apply(), { ProfileId: "by_id", File: file(doc), SelectedRowIndexes: "1" });
    expect(created.body.Data.Rows[0]).toMatchObject({ Action: 0, Status: 0, InstanceId: "legacy-42" });
    const again = await server.api.upload(paths.plan(), { ProfileId: "by_id", File: file(doc) });
    expect(again.body.Data.Rows[0]).toMatchObject({ Action: 2, MatchedInstanceId: "legacy-42" });
  });
});
