import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StreamHasher } from "../../src/replay/checksum.js";

describe("StreamHasher", () => {
  const CHUNK = 4 << 20;
  /** The checksum by its definition: SHA-256 over the SHA-256 of each 4 MiB chunk of the pages, each ended by RS. */
  const reference = (pages: Uint8Array[]) => {
    const all = Buffer.concat(pages.flatMap((p) => [p, Buffer.from([0x1e])]));
    const digests: Buffer[] = [];
    for (let at = 0; at < all.length; at += CHUNK) digests.push(createHash("sha256").update(all.subarray(at, at + CHUNK)).digest());
    return createHash("sha256").update(Buffer.concat(digests)).digest("hex");
  };

  it("depends only on the bytes, whatever the page sizes (pages shorter and longer than a chunk)", async () => {
    const data = new Uint8Array(9 * CHUNK + 12345).map((_, i) => (i * 2654435761) >>> 24);
    for (const sizes of [[CHUNK - 1, 3, CHUNK + 7, 2 * CHUNK, 11], [1, 2 * CHUNK + 5, 17, CHUNK], [5 * CHUNK + 3]]) {
      const pages: Uint8Array[] = [];
      let at = 0;
      for (let i = 0; at < data.length; i++) {
        const n = Math.min(sizes[i % sizes.length]!, data.length - at);
        pages.push(data.slice(at, at + n));
        at += n;
      }
      const hasher = new StreamHasher();
      for (const p of pages) await hasher.add(p.buffer, 1);
      expect(await hasher.checksum()).toBe(reference(pages));
    }
  });
});
