import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { frameReader } from "../../src/runtime/read-process-frames.js";

/** A frame as read-process.mjs writes it: head, BLOB lengths, meta, BLOBs. */
function frame(meta: Uint8Array, blobs: Uint8Array[]): Uint8Array {
  const head = new DataView(new ArrayBuffer(8 + 4 * blobs.length));
  head.setUint32(0, meta.length, true);
  head.setUint32(4, blobs.length, true);
  blobs.forEach((b, k) => head.setUint32(8 + 4 * k, b.length, true));
  const parts = [new Uint8Array(head.buffer), meta, ...blobs];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

const bytes = fc.uint8Array({ maxLength: 40 });

describe("read process answer frames", () => {
  it("gives back every frame's meta and BLOBs however the stream is cut into chunks", () => {
    fc.assert(
      fc.property(fc.array(fc.record({ meta: bytes, blobs: fc.array(bytes, { maxLength: 4 }) }), { maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), (frames, cuts) => {
        const stream = frames.map((f) => frame(f.meta, f.blobs));
        const all = new Uint8Array(stream.reduce((n, s) => n + s.length, 0));
        let at = 0;
        for (const s of stream) (all.set(s, at), (at += s.length));
        const seen: Array<{ meta: Uint8Array; blobs: Uint8Array[] }> = [];
        const read = frameReader((meta, blobs) => seen.push({ meta: new Uint8Array(meta), blobs: blobs.map((b) => new Uint8Array(b)) }));
        for (let from = 0, k = 0; from < all.length; k++) {
          const to = Math.min(all.length, from + cuts[k % cuts.length]!);
          read(all.subarray(from, to));
          from = to;
        }
        expect(seen).toEqual(frames);
      }),
    );
  });

  it("hands each BLOB over as an ArrayBuffer of exactly its bytes", () => {
    const got: ArrayBuffer[][] = [];
    const read = frameReader((_, blobs) => got.push(blobs));
    read(frame(new Uint8Array([9]), [new Uint8Array([1, 2, 3]), new Uint8Array(0)]));
    expect(got[0]!.map((b) => [b instanceof ArrayBuffer, b.byteLength])).toEqual([[true, 3], [true, 0]]);
  });
});
