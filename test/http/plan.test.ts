import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@libsql/client";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { mixedRecords, paths, pkg, seedCandidate } from "../support/fixtures.js";
import { count, openDb } from "../support/db.js";

let server: TestServer;
let db: Client;
beforeAll(async () => {
  server = await startTestServer();
  db = openDb(server.dbFile);
  await seedCandidate(server);
  // One existing candidate to match against.
  const seeded = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg([{ Fields: { email: "known@example.at", first_name: "Known", age: 40 } }])), SelectedRowIndexes: "1" });
  expect(seeded.body.Data.Summary.AppliedRows).toBe(1);
});
afterAll(async () => {
  db.close();
  await server.close();
});

const plan = (doc: unknown, profile = "by_email", entity = "candidate") => server.api.upload(paths.plan(entity), { ProfileId: profile, File: file(doc) });

describe("plan", () => {
  it("classifies every row and keeps the SPEC §4 invariants", async () => {
    const r = await plan(
      pkg([
        { Fields: { email: "new@example.at", first_name: "Nina" } }, // 1 create
        { Fields: { email: " KNOWN@example.at ", first_name: "Known", age: "40" } }, // 2 skip (unchanged, identity case-folded)
        { Fields: { email: "known2@example.at", first_name: "A name far longer than twenty" } }, // 3 value_too_long
        { Fields: { email: "dup@example.at" } }, // 4 duplicate
        { Fields: { email: "DUP@example.at" } }, // 5 duplicate
        { Fields: { first_name: "No mail" } }, // 6 missing_identity
        { Fields: { email: "w@example.at", shoe: 44 } }, // 7 warning unknown_field
        { Fields: { email: "not-an-email" } }, // 8 invalid_field_value
        "not a record" as unknown as { Fields: Record<string, unknown> }, // 9 invalid_package row
        { Fields: { email: "known@example.at", age: 41 } }, // 10 would update known… but duplicates row 2
      ]),
    );
    expect(r.status).toBe(200);
    const { Summary, Rows, IssueCategories } = r.body.Data;
    expect(Summary.TotalRows).toBe(10);
    expect(Summary.TotalRows).toBe(Summary.ValidRows + Summary.ErrorRows);
    expect(Summary.CreateRows + Summary.UpdateRows + Summary.SkipRows).toBe(Summary.TotalRows);
    expect(Summary.WarningRows).toBe(Rows.filter((x: { Status: number }) => x.Status === 1).length);
    const codes = (i: number) => Rows[i - 1].Errors.map((e: { Code: string }) => e.Code);
    expect(Rows[0]).toMatchObject({ RowIndex: 1, Action: 0, Status: 0, IdentityValue: "new@example.at", MatchedInstanceId: null });
    expect(codes(3)).toEqual(["value_too_long"]);
    expect(codes(4)).toEqual(["duplicate_identity_in_file"]);
    expect(codes(5)).toEqual(["duplicate_identity_in_file"]);
    expect(codes(2)).toEqual(["duplicate_identity_in_file"]);
    expect(codes(10)).toEqual(["duplicate_identity_in_file"]);
    expect(codes(6)).toEqual(["missing_identity"]);
    expect(Rows[6]).toMatchObject({ Status: 1, Action: 0 });
    expect(Rows[6].Warnings[0]).toMatchObject({ Code: "unknown_field", Type: 10, Category: 3, Severity: 0, FieldKey: "shoe", RowIndex: 7 });
    expect(codes(8)).toEqual(["invalid_field_value"]);
    expect(codes(9)).toEqual(["invalid_package"]);
    for (const row of Rows) for (const i of [...row.Errors, ...row.Warnings]) expect(i.RowIndex).toBe(row.RowIndex);
    const issueCount = Rows.reduce((n: number, x: { Errors: unknown[]; Warnings: unknown[] }) => n + x.Errors.length + x.Warnings.length, 0);
    expect(IssueCategories.reduce((n: number, c: { Count: number }) => n + c.Count, 0)).toBe(issueCount);
    expect(IssueCategories).toContainEqual({ Category: 1, Severity: 1, Count: 5 });
  });

  it("matches existing instances: Skip when unchanged, Update when changed", async () => {
    const r = await plan(pkg([{ Fields: { email: "known@example.at", first_name: "Known", age: 40 } }, { Fields: { email: "new2@example.at" } }]));
    expect(r.body.Data.Rows[0]).toMatchObject({ Action: 2, Status: 0 });
    expect(r.body.Data.Rows[0].MatchedInstanceId).toMatch(/^[0-9a-f-]{36}$/);
    const changed = await plan(pkg([{ Fields: { email: "known@example.at", age: 41 } }]));
    expect(changed.body.Data.Rows[0]).toMatchObject({ Action: 1, Status: 0 });
  });

  it("reports stale RowVersions, CreateOnly and UpdateOnly conflicts", async () => {
    const stale = await plan(pkg([{ RowVersion: "00000000-0000-0000-0000-000000000000", Fields: { email: "known@example.at", age: 50 } }]));
    expect(stale.body.Data.Rows[0].Errors[0]).toMatchObject({ Code: "concurrency_conflict", Type: 11, Category: 4 });
    await server.api.post(paths.profiles(), { Key: "create_only", Name: "C", ImportMode: 1, IdentityMode: 0, IdentityFieldKey: "email" });
    await server.api.post(paths.profiles(), { Key: "update_only", Name: "U", ImportMode: 2, IdentityMode: 0, IdentityFieldKey: "email" });
    const exists = await plan(pkg([{ Fields: { email: "known@example.at" } }]), "create_only");
    expect(exists.body.Data.Rows[0].Errors[0]).toMatchObject({ Code: "instance_already_exists", Type: 6 });
    const missing = await plan(pkg([{ Fields: { email: "nobody@example.at" } }]), "update_only");
    expect(missing.body.Data.Rows[0].Errors[0]).toMatchObject({ Code: "instance_not_found", Type: 5 });
    const required = await plan(pkg([{ Fields: { first_name: "x", email: null } }]), "update_only");
    expect(required.body.Data.Rows[0].Errors[0].Code).toBe("missing_identity");
  });

  it("flags a required field missing on create", async () => {
    await server.api.post(paths.profiles(), { Key: "no_identity", Name: "Always create", ImportMode: 0, IdentityMode: 2 });
    const r = await plan(pkg([{ Fields: { first_name: "Nomail" } }]), "no_identity");
    expect(r.body.Data.Rows[0]).toMatchObject({ Action: 0, Status: 2 });
    expect(r.body.Data.Rows[0].Errors[0]).toMatchObject({ Code: "required_field_missing", FieldKey: "email", Type: 7, Category: 2 });
  });

  it("is non-destructive and recorded: no instance changes, one ImportPlanned event", async () => {
    const before = await count(db, "SELECT count(*) FROM instances");
    const plannedBefore = await count(db, "SELECT count(*) FROM events WHERE type = 'ImportPlanned'");
    const r = await plan(pkg([{ Fields: { email: "ghost@example.at" } }]));
    expect(r.body.Data.Summary.CreateRows).toBe(1);
    expect(await count(db, "SELECT count(*) FROM instances")).toBe(before);
    expect(await count(db, "SELECT count(*) FROM events WHERE type = 'ImportPlanned'")).toBe(plannedBefore + 1);
    const stored = await server.api.get(`/api/audit/imports/${r.body.Data.PlanId}`);
    expect(stored.text).toBe(r.text);
  });

  it("answers 400 when the package is unusable", async () => {
    const cases: [unknown, string][] = [
      ["{not json", "invalid_package"],
      [[1, 2], "invalid_package"],
      [{ Records: [] }, "invalid_package"],
      [{ FormatVersion: 1, Records: {} }, "invalid_package"],
      [{ FormatVersion: 2, Records: [] }, "unsupported_version"],
      [pkg([], "job"), "entity_mismatch"],
    ];
    for (const [doc, code] of cases) {
      const r = await plan(doc);
      expect(r.status, code).toBe(400);
      expect(r.body.Data).toBeNull();
      expect(r.body.Errors[0].Code).toBe(code);
    }
    const noFile = await server.api.upload(paths.plan(), { ProfileId: "by_email" });
    expect(noFile.status).toBe(400);
    expect(noFile.body.Errors[0]).toMatchObject({ Code: "invalid_package", FieldKey: "File" });
    const empty = await server.api.upload(paths.plan(), { ProfileId: "by_email", File: new Blob([]) });
    expect(empty.status).toBe(400);
    const noProfile = await server.api.upload(paths.plan(), { File: file(pkg([])) });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.Errors[0]).toMatchObject({ Code: "required_field_missing", FieldKey: "ProfileId" });
    const asJson = await server.api.post(paths.plan(), { ProfileId: "by_email" });
    expect(asJson.status).toBe(400);
  });

  it("plans the same rows whether ProfileId comes before the file (planned as it arrives) or after it", async () => {
    // Five chunks: duplicates across chunks, bad ages, the one known candidate.
    const doc = pkg(mixedRecords().map((r, i) => (i === 4_444 ? { Fields: { ...r.Fields, email: "known@example.at" } } : r)));
    const before = await server.api.upload(paths.plan(), { ProfileId: "by_email", File: file(doc) });
    const after = await server.api.upload(paths.plan(), { File: file(doc), ProfileId: "by_email" });
    expect(before.status).toBe(200);
    expect(after.status).toBe(200);
    const { PlanId: _a, GeneratedAtUtc: _b, ...first } = before.body.Data;
    const { PlanId: _c, GeneratedAtUtc: _d, ...second } = after.body.Data;
    expect(second).toEqual(first);
    expect(first.Summary).toMatchObject({ TotalRows: 9_000, UpdateRows: 1 });
    const codes = new Set(first.Rows.flatMap((r: { Errors: { Code: string }[] }) => r.Errors.map((e) => e.Code)));
    expect([...codes]).toEqual(expect.arrayContaining(["duplicate_identity_in_file", "invalid_field_value"]));
  });

  it("answers 404 for an unknown entity or profile", async () => {
    const entity = await plan(pkg([]), "by_email", "nope");
    expect(entity.status).toBe(404);
    expect(entity.body.Errors[0].Code).toBe("entity_not_found");
    const profile = await plan(pkg([]), "nope");
    expect(profile.status).toBe(404);
    expect(profile.body.Errors[0].Code).toBe("profile_not_found");
  });
});
