import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
let doc: any;
beforeAll(async () => {
  server = await startTestServer();
  doc = await (await fetch(`${server.url}/openapi.json`)).json();
});
afterAll(() => server.close());

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route of SPEC §2–6 with its method", () => {
    expect(doc.openapi).toBe("3.1.0");
    const expected: [string, string][] = [
      ["/api/workspace/entity-definitions", "post"],
      ["/api/workspace/entity-definitions", "get"],
      ["/api/workspace/entity-definitions/{entity}", "get"],
      ["/api/workspace/entity-definitions/{entity}", "put"],
      ["/api/workspace/entity/{entity}/data-transfer/profiles", "post"],
      ["/api/workspace/entity/{entity}/data-transfer/profiles", "get"],
      ["/api/workspace/entity/{entity}/data-transfer/profiles/{profile}", "get"],
      ["/api/workspace/entity/{entity}/data-transfer/import/json/plan", "post"],
      ["/api/workspace/entity/{entity}/data-transfer/import/json/apply", "post"],
      ["/api/workspace/entity/{entity}/data-transfer/export/json", "post"],
      ["/api/workspace/entity/{entity}/instances", "get"],
      ["/api/workspace/entity/{entity}/instances/{id}", "get"],
      ["/api/workspace/entity/{entity}/instances/{id}/history", "get"],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it("keeps the older API's schema and property names", () => {
    const s = doc.components.schemas;
    expect(Object.keys(s.JsonImportPlanSummary.properties)).toEqual(["TotalRows", "ValidRows", "ErrorRows", "WarningRows", "CreateRows", "UpdateRows", "SkipRows"]);
    expect(Object.keys(s.JsonImportApplyRow.properties)).toEqual(["RowIndex", "IdentityValue", "MatchedInstanceId", "InstanceId", "RowVersion", "ChangedFieldKeys", "Action", "Status", "Errors", "Warnings"]);
    expect(Object.keys(s.Issue.properties)).toEqual(["Type", "Code", "Severity", "Category", "Message", "FieldKey", "RowIndex"]);
  });

  it("documents integer enums with their names", () => {
    const action = doc.components.schemas.JsonImportPlanRow.properties.Action;
    expect(action.enum).toEqual([0, 1, 2]);
    expect(action["x-enum-varnames"]).toEqual(["Create", "Update", "Skip"]);
    expect(action.description).toContain("0 Create");
  });

  it("documents multipart uploads, security schemes and examples", () => {
    const plan = doc.paths["/api/workspace/entity/{entity}/data-transfer/import/json/plan"].post;
    expect(Object.keys(plan.requestBody.content)).toEqual(["multipart/form-data"]);
    expect(Object.keys(plan.responses)).toEqual(expect.arrayContaining(["200", "400", "401", "403", "404"]));
    expect(doc.components.securitySchemes.Bearer).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.AccessToken).toMatchObject({ in: "query", name: "access_token" });
    expect(JSON.stringify(doc)).toContain('"example"');
  });
});
