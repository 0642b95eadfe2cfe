/**
 * Reassembles the read process's answers from the chunks its socket delivers, however they are
 * cut: per frame a head (the meta's length and the number of BLOBs), each BLOB's length, the meta,
 * then the BLOBs (read-process.mjs writes them). Each BLOB is copied once, from the chunks into
 * an ArrayBuffer of its own; `onFrame` gets the meta's bytes and the BLOBs in order.
 */
export function frameReader(onFrame: (meta: Uint8Array, blobs: ArrayBuffer[]) => void): (chunk: Uint8Array) => void {
  // What is being filled: the 8-byte head, the BLOB lengths, the meta, then each BLOB.
  let target = new Uint8Array(8);
  let filled = 0;
  let stage: "head" | "lengths" | "meta" | "blob" = "head";
  let lengths: number[] = [];
  let meta = new Uint8Array(0);
  let blobs: ArrayBuffer[] = [];

  const next = (): void => {
    for (;;) {
      if (filled < target.length) return;
      if (stage === "head") {
        const view = new DataView(target.buffer, target.byteOffset, 8);
        const metaLength = view.getUint32(0, true);
        const count = view.getUint32(4, true);
        lengths = [];
        blobs = [];
        meta = new Uint8Array(metaLength);
        stage = "lengths";
        target = new Uint8Array(4 * count);
      } else if (stage === "lengths") {
        const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
        for (let k = 0; k < target.length; k += 4) lengths.push(view.getUint32(k, true));
        stage = "meta";
        target = meta;
      } else {
        if (stage === "blob") blobs.push(target.buffer as ArrayBuffer);
        if (blobs.length === lengths.length) {
          onFrame(meta, blobs);
          stage = "head";
          target = new Uint8Array(8);
        } else {
          stage = "blob";
          target = new Uint8Array(lengths[blobs.length]!);
        }
      }
      filled = 0;
    }
  };

  return (chunk) => {
    let at = 0;
    next();
    while (at < chunk.length) {
      const n = Math.min(target.length - filled, chunk.length - at);
      target.set(chunk.subarray(at, at + n), filled);
      filled += n;
      at += n;
      next();
    }
  };
}
