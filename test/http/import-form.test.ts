import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, startTestServer, type TestServer } from "../support/server.js";
import { paths, pkg, seedCandidate } from "../support/fixtures.js";
import { streamInPieces } from "../support/pieces.js";

/**
 * The plan/apply form as raw multipart bytes, sent as the network would: in pieces of any size,
 * with or without Content-Length. The File part is parsed while it arrives.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ MAX_UPLOAD_BYTES: "200000" });
  await seedCandidate(server);
});
afterAll(() => server.close());

const B = "----form-boundary-7MA4YWxkTrZu0gW";
const TYPE = `multipart/form-data; boundary=${B}`;
const part = (name: string, value: string, filename?: string) =>
  `--${B}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ""}\r\n${filename ? "Content-Type: application/json\r\n" : ""}\r\n${value}\r\n`;
const end = `--${B}--\r\n`;
const records = (n: number, tag = "p") => JSON.stringify(pkg(Array.from({ length: n }, (_, i) => ({ Fields: { email: `${tag}${i}@example.at`, first_name: `Zoë ${i} ✓` } }))));

/** Sends `body` cut into pieces of the given sizes (cycled), as a stream without Content-Length. */
async function send(body: string, sizes: number[] = [body.length], path = paths.plan()) {
  const bytes = new TextEncoder().encode(body);
  const stream = streamInPieces(bytes, sizes);
  const res = await fetch(server.url + path, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": TYPE }, body: stream, duplex: "half" } as RequestInit);
  return { status: res.status, body: (await res.json()) as any };
}

describe("import form", () => {
  it("reads the package the same however the body is cut into pieces", async () => {
    const body = part("ProfileId", "by_email") + part("File", records(300), "package.json") + end;
    const whole = await send(body);
    expect(whole.status).toBe(200);
    expect(whole.body.Data.Summary).toMatchObject({ TotalRows: 300, CreateRows: 300 });
    for (const sizes of [[1], [7, 1, 3], [B.length + 1], [4096, 13]]) {
      const r = await send(body, sizes);
      expect(r.status).toBe(200);
      expect(r.body.Data.Summary).toEqual(whole.body.Data.Summary);
      expect(r.body.Data.Rows).toEqual(whole.body.Data.Rows);
    }
  });

  it("records the SHA-256 of the File part's bytes with the plan, however the body is cut", async () => {
    const file = records(40, "h");
    const sha = createHash("sha256").update(file).digest("hex");
    for (const sizes of [[file.length + 500], [5, 3000, 1]]) {
      const r = await send(part("ProfileId", "by_email") + part("File", file, "package.json") + end, sizes);
      expect(r.status).toBe(200);
      const events = await server.api.get(`/api/audit/events?type=ImportPlanned&limit=1000`);
      const planned = events.body.Data.Items.find((e: { Data: { RunId: string } }) => e.Data.RunId === r.body.Data.PlanId);
      expect(planned.Data.FileSha256).toBe(sha);
    }
  });

  it("takes a File sent as a plain field, reads only the first File, and ignores other files", async () => {
    const asField = await send(part("ProfileId", "by_email") + part("File", records(2)) + end);
    expect(asField.status).toBe(200);
    expect(asField.body.Data.Summary.TotalRows).toBe(2);
    const two = await send(part("File", records(3, "a"), "a.json") + part("Other", "not json", "b.bin") + part("File", records(5, "b"), "c.json") + part("ProfileId", "by_email") + end);
    expect(two.status).toBe(200);
    expect(two.body.Data.Summary.TotalRows).toBe(3);
    expect(two.body.Data.Rows[0].Fields?.email ?? JSON.stringify(two.body.Data.Rows[0])).toContain("a0@example.at");
  });

  it("refuses a body cut short, a body without parts, and too many parts with 400", async () => {
    const cut = part("ProfileId", "by_email") + part("File", records(50), "package.json");
    for (const body of [cut, cut.slice(0, cut.length - 100), "", `--${B}--\r\n`]) {
      const r = await send(body);
      expect(r.status).toBe(400);
    }
    const truncated = await send(cut, [64]);
    expect(truncated.body.Errors[0].Message).toMatch(/multipart\/form-data body could not be read/);
    const many = await send(Array.from({ length: 1001 }, (_, i) => part(`f${i}`, "x")).join("") + part("ProfileId", "by_email") + part("File", records(1), "p.json") + end);
    expect(many.status).toBe(400);
  });

  it("answers 413 to a streamed File over MAX_UPLOAD_BYTES, without Content-Length", async () => {
    const r = await send(part("ProfileId", "by_email") + part("File", records(3000), "package.json") + end, [16_384]);
    expect(r.status).toBe(413);
    expect(r.body.detail).toMatch(/larger than 200000 bytes/);
  });
});

describe("import form, parsed while it arrives", () => {
  it("spools record chunks before the last byte of the body has been read", async () => {
    const { HonoRequest } = await import("hono/request");
    const { readImportForm } = await import("../../src/http/import-form.js");
    const { memoryChunks } = await import("../../src/import/chunk-store.js");
    const bytes = new TextEncoder().encode(part("ProfileId", "by_email") + part("File", records(5000), "package.json") + end);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        const at = pulled++ * 4096;
        if (at >= bytes.length) c.close();
        else c.enqueue(bytes.slice(at, at + 4096));
      },
    });
    const pulledAtChunk: number[] = [];
    const chunks = () => {
      const m = memoryChunks();
      return { ...m, get length() { return m.length; }, push: (t: string) => (pulledAtChunk.push(pulled), m.push(t)) };
    };
    const req = new HonoRequest(new Request("http://127.0.0.1/x", { method: "POST", headers: { "content-type": TYPE }, body, duplex: "half" } as RequestInit));
    const r = await readImportForm(req, { maxBytes: 1 << 30, chunks });
    expect(r.ok && r.form.file?.spool.ok && r.form.file.spool.spool.recordCount).toBe(5000);
    expect(pulledAtChunk).toHaveLength(3); // 2,000-record chunks
    expect(pulledAtChunk[0]).toBeLessThan(pulled / 2);
  });
});
