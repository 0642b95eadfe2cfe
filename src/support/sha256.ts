const encoder = new TextEncoder();

export const toHex = (bytes: ArrayBuffer | Uint8Array) => [...(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 through Web Crypto, so the same code runs on Node, Deno and Workers. */
export async function sha256(data: string | BufferSource): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

export const sha256Hex = async (data: string | BufferSource) => toHex(await sha256(data));

/** A SHA-256 fed piece by piece, for uploads too big to hold in one buffer. */
export type IncrementalHash = { update(bytes: Uint8Array): void; hex(): Promise<string> };

type DigestStreamCtor = new (algorithm: string) => WritableStream<BufferSource> & { digest: Promise<ArrayBuffer> };

/**
 * Web-standard: Workers' `crypto.DigestStream` when present; elsewhere the pieces are kept and
 * digested once (runtimes with an incremental native hash inject it through Deps.sha256Stream).
 */
export function createSha256(): IncrementalHash {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamCtor }).DigestStream;
  if (DigestStream) {
    const stream = new DigestStream("SHA-256");
    const writer = stream.getWriter();
    return {
      update: (bytes) => void writer.write(bytes as Uint8Array<ArrayBuffer>),
      hex: async () => (await writer.close(), toHex(await stream.digest)),
    };
  }
  const pieces: Uint8Array[] = [];
  return {
    update: (bytes) => void pieces.push(bytes),
    hex: async () => {
      const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of pieces) (all.set(p, at), (at += p.length));
      return sha256Hex(all);
    },
  };
}
