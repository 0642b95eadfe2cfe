import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, PLANNER, READER, client, file, startTestServer, type TestServer } from "../support/server.js";
import { CANDIDATE, paths, pkg, seedCandidate } from "../support/fixtures.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: "20000" });
  await seedCandidate(server);
});
afterAll(() => server.close());

const expectProblem = (r: { status: number; headers: Headers; body: any }, status: number) => {
  expect(r.status).toBe(status);
  expect(r.headers.get("content-type")).toContain("application/problem+json");
  expect(r.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), instance: expect.stringMatching(/^\//) });
};

describe("authentication and scopes", () => {
  it("answers 401 problem details without a token or with a wrong one", async () => {
    expectProblem(await server.api.get(paths.definitions, { token: null }), 401);
    expectProblem(await server.api.get(paths.definitions, { token: "wrong-token-0123456789abcdef" }), 401);
    expectProblem(await server.api.get(paths.definitions, { token: null, headers: { authorization: "Basic abc" } }), 401);
  });

  it("accepts ?access_token= for clients that cannot set headers", async () => {
    const r = await server.api.get(`${paths.definitions}?access_token=${ADMIN}`, { token: null });
    expect(r.status).toBe(200);
  });

  it("answers 403 when the token lacks the route's scope", async () => {
    const planner = client(server.url, PLANNER);
    const reader = client(server.url, READER);
    const doc = file(pkg([{ Fields: { email: "x@example.at" } }]));
    expect((await planner.upload(paths.plan(), { ProfileId: "by_email", File: doc })).status).toBe(200);
    expectProblem(await planner.upload(paths.apply(), { ProfileId: "by_email", File: doc, SelectedRowIndexes: "1" }), 403);
    expectProblem(await reader.upload(paths.plan(), { ProfileId: "by_email", File: doc }), 403);
    expectProblem(await planner.post(paths.definitions, CANDIDATE), 403);
    expect((await reader.get(paths.definitions)).status).toBe(200);
  });

  it("keeps /openapi.json, /docs and /health public", async () => {
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
  });

  it("runs open with AUTH_DISABLED=true", async () => {
    const open = await startTestServer({ AUTH_DISABLED: "true" });
    try {
      expect((await open.api.get(paths.definitions, { token: null })).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("limits and errors", () => {
  it("refuses a file over MAX_UPLOAD_BYTES with 413 problem details", async () => {
    const big = file(pkg(Array.from({ length: 400 }, (_, i) => ({ Fields: { email: `big${i}@example.at`, last_name: "x".repeat(40) } }))));
    expect(big.size).toBeGreaterThan(20000);
    expectProblem(await server.api.upload(paths.plan(), { ProfileId: "by_email", File: big }), 413);
  });

  it("answers unknown routes with 404 problem details, never HTML", async () => {
    expectProblem(await server.api.get("/api/nothing-here"), 404);
  });

  it("answers a malformed multipart body with 400, not 500", async () => {
    const res = await fetch(server.url + paths.plan(), {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "multipart/form-data; boundary=zzz" },
      body: "--zzz\r\nContent-Disposition: form-data; name=\"ProfileId\"\r\n\r\nby_email\r\n--zz",
    });
    expect(res.status).toBe(400);
    expect((await res.json()).Errors[0].Code).toMatch(/invalid_request|invalid_package/);
  });
});
