import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";
import { BY_EMAIL, CANDIDATE, paths } from "../support/fixtures.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe("entity definitions", () => {
  it("creates a definition with a normalized key and field keys, Version 1", async () => {
    const r = await server.api.post(paths.definitions, CANDIDATE);
    expect(r.status).toBe(201);
    expect(r.body.Errors).toEqual([]);
    expect(r.body.Data).toMatchObject({ Key: "candidate", DisplayNameSingular: "Candidate", Version: 1 });
    expect(r.body.Data.Fields.map((f: { Key: string }) => f.Key)).toEqual(["email", "first_name", "last_name", "age", "stage"]);
  });

  it("finds it by Id, by Key in any case and with spaces", async () => {
    const byKey = await server.api.get(`${paths.definitions}/${encodeURIComponent(" Candidate ")}`);
    expect(byKey.status).toBe(200);
    const byId = await server.api.get(`${paths.definitions}/${byKey.body.Data.Id}`);
    expect(byId.body.Data.Key).toBe("candidate");
    const list = await server.api.get(paths.definitions);
    expect(list.body.Data.map((d: { Key: string }) => d.Key)).toContain("candidate");
  });

  it("refuses a second definition with the same key: 409 key_already_exists", async () => {
    const r = await server.api.post(paths.definitions, { ...CANDIDATE, Key: "CANDIDATE" });
    expect(r.status).toBe(409);
    expect(r.body.Data).toBeNull();
    expect(r.body.Errors[0]).toMatchObject({ Code: "key_already_exists", Type: 15, Severity: 1 });
  });

  it("answers 400 with issues for an invalid body, never a 500", async () => {
    const missing = await server.api.post(paths.definitions, { DisplayNameSingular: "X", DisplayNamePlural: "Xs", Fields: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.Errors).toContainEqual(expect.objectContaining({ Code: "required_field_missing", FieldKey: "Key" }));
    const badType = await server.api.post(paths.definitions, { ...CANDIDATE, Key: "x", Fields: [{ Key: "a", Label: "A", Type: "colour" }] });
    expect(badType.status).toBe(400);
    expect(badType.body.Errors[0]).toMatchObject({ Code: "invalid_field_value", FieldKey: "Fields.0.Type" });
    const enumNoOptions = await server.api.post(paths.definitions, { ...CANDIDATE, Key: "y", Fields: [{ Key: "s", Label: "S", Type: "enum" }] });
    expect(enumNoOptions.status).toBe(400);
    const notJson = await server.api.send("POST", paths.definitions, { headers: { "content-type": "application/json" }, form: undefined, json: undefined });
    expect(notJson.status).toBe(400);
    const garbage = await fetch(server.url + paths.definitions, { method: "POST", headers: { authorization: `Bearer admin-token-0123456789abcdef`, "content-type": "application/json" }, body: "{nope" });
    expect(garbage.status).toBe(400);
    expect((await garbage.json()).Errors[0].Code).toBe("invalid_request");
  });

  it("PUT adds and changes fields by key and bumps Version; a PUT that changes nothing does not", async () => {
    const r = await server.api.put(`${paths.definitions}/candidate`, { Fields: [{ Key: "Phone", Label: "Phone", Type: "phone" }, { Key: "last_name", Label: "Surname", Type: "string" }] });
    expect(r.status).toBe(200);
    expect(r.body.Data.Version).toBe(2);
    const keys = r.body.Data.Fields.map((f: { Key: string }) => f.Key);
    expect(keys).toEqual(["email", "first_name", "last_name", "age", "stage", "phone"]);
    expect(r.body.Data.Fields.find((f: { Key: string }) => f.Key === "last_name").Label).toBe("Surname");
    const again = await server.api.put(`${paths.definitions}/candidate`, { Fields: [{ Key: "phone", Label: "Phone", Type: "phone" }] });
    expect(again.body.Data.Version).toBe(2);
  });

  it("answers 404 entity_not_found for an unknown entity", async () => {
    const r = await server.api.get(`${paths.definitions}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ Data: null, Errors: [expect.objectContaining({ Code: "entity_not_found" })] });
    expect((await server.api.put(`${paths.definitions}/nope`, { Fields: [] })).status).toBe(404);
  });
});

describe("data-transfer profiles", () => {
  it("creates, lists and reads a profile by Id or Key", async () => {
    const r = await server.api.post(paths.profiles(), BY_EMAIL);
    expect(r.status).toBe(201);
    expect(r.body.Data).toMatchObject({ Key: "by_email", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email", SkipUnchanged: true, FieldMap: {} });
    expect((await server.api.get(`${paths.profiles()}/by_email`)).body.Data.Id).toBe(r.body.Data.Id);
    expect((await server.api.get(`${paths.profiles()}/${r.body.Data.Id}`)).body.Data.Key).toBe("by_email");
    expect((await server.api.get(paths.profiles())).body.Data).toHaveLength(1);
  });

  it("refuses invalid profiles with 400, duplicates with 409, unknown entity or profile with 404", async () => {
    const noField = await server.api.post(paths.profiles(), { Key: "p1", Name: "P", IdentityMode: 0, IdentityFieldKey: "shoe_size" });
    expect(noField.status).toBe(400);
    expect(noField.body.Errors[0]).toMatchObject({ Code: "invalid_field_value", FieldKey: "IdentityFieldKey" });
    const updateNone = await server.api.post(paths.profiles(), { Key: "p2", Name: "P", ImportMode: 2, IdentityMode: 2 });
    expect(updateNone.status).toBe(400);
    const badMap = await server.api.post(paths.profiles(), { Key: "p3", Name: "P", IdentityMode: 2, FieldMap: { Mail: "nope" } });
    expect(badMap.status).toBe(400);
    const badEnum = await server.api.post(paths.profiles(), { Key: "p4", Name: "P", ImportMode: 7, IdentityMode: 2 });
    expect(badEnum.status).toBe(400);
    expect(badEnum.body.Errors[0].FieldKey).toBe("ImportMode");
    expect((await server.api.post(paths.profiles(), BY_EMAIL)).status).toBe(409);
    expect((await server.api.post(paths.profiles("nope"), BY_EMAIL)).status).toBe(404);
    const unknownProfile = await server.api.get(`${paths.profiles()}/nope`);
    expect(unknownProfile.status).toBe(404);
    expect(unknownProfile.body.Errors[0].Code).toBe("profile_not_found");
  });
});
