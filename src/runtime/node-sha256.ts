import { createHash } from "node:crypto";
import type { IncrementalHash } from "../support/sha256.js";

/** node:crypto hashes an upload as it streams in, without keeping its bytes. */
export const nodeSha256 = (): IncrementalHash => {
  const h = createHash("sha256");
  return { update: (bytes) => void h.update(bytes), hex: async () => h.digest("hex") };
};
