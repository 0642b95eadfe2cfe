const encoder = new TextEncoder();

export const toHex = (bytes: ArrayBuffer | Uint8Array) => [...(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** SHA-256 through Web Crypto, so the same code runs on Node, Deno and Workers. */
export async function sha256(data: string | BufferSource): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? encoder.encode(data) : data));
}

export const sha256Hex = async (data: string | BufferSource) => toHex(await sha256(data));
