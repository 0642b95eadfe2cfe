import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { file, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";

let server: TestServer;
const N = 25;
beforeAll(async () => {
  server = await startTestServer();
  await seedCandidate(server);
  await server.api.post(paths.profiles(), { Key: "mapped", Name: "Mapped", IdentityMode: 0, IdentityFieldKey: "email", FieldMap: { "E-Mail": "email", Vorname: "first_name" } });
  const records = Array.from({ length: N }, (_, i) => ({ Fields: { email: `p${i}@example.at`, first_name: `P${i}`, age: 20 + i } }));
  const r = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg(records)), SelectedRowIndexes: `1-${N}` });
  expect(r.body.Data.Summary.AppliedRows).toBe(N);
});
afterAll(() => server.close());

const exportJson = async (body: unknown) => {
  const res = await fetch(server.url + paths.export(), { method: "POST", headers: { authorization: "Bearer admin-token-0123456789abcdef", "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, doc: await res.json() };
};

describe("export", () => {
  it("writes the SPEC §3 package with InstanceId and RowVersion of every instance", async () => {
    const { status, headers, doc } = await exportJson({ ProfileId: "by_email" });
    expect(status).toBe(200);
    expect(headers.get("content-disposition")).toMatch(/attachment; filename="candidate-/);
    expect(doc).toMatchObject({ FormatVersion: 1, Entity: { Key: "candidate", DisplayNameSingular: "Candidate" }, Profile: { Key: "by_email", Name: "Match on e-mail" } });
    expect(doc.Records).toHaveLength(N);
    expect(doc.Records[0]).toMatchObject({ InstanceId: expect.any(String), RowVersion: expect.any(String), Fields: { email: "p0@example.at", first_name: "P0", age: 20 } });
  });

  it("round-trips: importing the export again is a no-op (all Skip)", async () => {
    for (const profile of ["by_email", "mapped"]) {
      const { doc } = await exportJson({ ProfileId: profile });
      if (profile === "mapped") expect(Object.keys(doc.Records[0].Fields)).toContain("E-Mail");
      const plan = await server.api.upload(paths.plan(), { ProfileId: profile, File: file(doc) });
      expect(plan.body.Data.Summary).toMatchObject({ TotalRows: N, SkipRows: N, ErrorRows: 0, WarningRows: 0 });
      const apply = await server.api.upload(paths.apply(), { ProfileId: profile, File: file(doc), SelectedRowIndexes: `1-${N}` });
      expect(apply.body.Data.Summary).toMatchObject({ AppliedRows: N, SkipRows: N });
    }
  });

  it("exports the selected instances, or one page", async () => {
    const all = (await exportJson({ ProfileId: "by_email" })).doc.Records;
    const picked = await exportJson({ ProfileId: "by_email", SelectedInstanceIds: [all[3].InstanceId, all[1].InstanceId, "missing"] });
    expect(picked.doc.Records.map((r: { InstanceId: string }) => r.InstanceId)).toEqual([all[3].InstanceId, all[1].InstanceId]);
    const page = await exportJson({ ProfileId: "by_email", Query: { Page: 2, PageSize: 10 } });
    expect(page.doc.Records.map((r: { InstanceId: string }) => r.InstanceId)).toEqual(all.slice(10, 20).map((r: { InstanceId: string }) => r.InstanceId));
    const last = await exportJson({ ProfileId: "by_email", Query: { Page: 3, PageSize: 10 } });
    expect(last.doc.Records).toHaveLength(5);
  });

  it("answers 404 for an unknown profile and 400 for a bad body", async () => {
    expect((await exportJson({ ProfileId: "nope" })).status).toBe(404);
    expect((await exportJson({ ProfileId: "by_email", Query: { Page: 0 } })).status).toBe(400);
  });
});

describe("instances", () => {
  it("pages through every instance with a cursor, oldest first", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await server.api.get(`${paths.instances()}?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.Data.Items.map((i: { Fields: { email: string } }) => i.Fields.email));
      cursor = r.body.Data.NextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => `p${i}@example.at`));
    expect((await server.api.get(`${paths.instances()}?limit=0`)).status).toBe(400);
    expect((await server.api.get(`${paths.instances()}?limit=5000`)).status).toBe(400);
  });

  it("reads an instance now, as of an earlier position or time, and its history", async () => {
    const first = (await server.api.get(`${paths.instances()}?limit=1`)).body.Data.Items[0];
    const createdAt = first.CreatedAtUtc;
    await new Promise((r) => setTimeout(r, 5));
    const upd = await server.api.upload(paths.apply(), { ProfileId: "by_email", File: file(pkg([{ Fields: { email: "p0@example.at", age: 77 } }])), SelectedRowIndexes: "1" });
    expect(upd.body.Data.Rows[0].Action).toBe(1);

    const now = await server.api.get(`${paths.instances()}/${first.Id}`);
    expect(now.body.Data).toMatchObject({ Version: 2, Fields: { age: 77 } });
    const history = await server.api.get(`${paths.instances()}/${first.Id}/history`);
    expect(history.body.Data.map((e: { Type: string }) => e.Type)).toEqual(["InstanceCreated", "InstanceUpdated"]);
    expect(history.body.Data[1].Data.Changes).toEqual({ age: 77 });
    expect(history.body.Data[1].Metadata).toMatchObject({ Actor: expect.stringMatching(/^tok_/), CausationId: upd.body.Data.ApplyId });

    const atPosition = await server.api.get(`${paths.instances()}/${first.Id}?asOf=${history.body.Data[0].Position}`);
    expect(atPosition.body.Data).toMatchObject({ Version: 1, Fields: { age: 20 } });
    const atTime = await server.api.get(`${paths.instances()}/${first.Id}?asOf=${encodeURIComponent(createdAt)}`);
    expect(atTime.body.Data).toMatchObject({ Version: 1, Fields: { age: 20 } });
    const before = await server.api.get(`${paths.instances()}/${first.Id}?asOf=2000-01-01T00:00:00Z`);
    expect(before.status).toBe(404);
    expect((await server.api.get(`${paths.instances()}/${first.Id}?asOf=yesterday`)).status).toBe(400);
  });

  it("answers 404 for unknown instances and entities", async () => {
    expect((await server.api.get(`${paths.instances()}/nope`)).body.Errors[0].Code).toBe("not_found");
    expect((await server.api.get(`${paths.instances()}/nope/history`)).status).toBe(404);
    expect((await server.api.get(paths.instances("nope"))).status).toBe(404);
  });
});
