import { V7Generator } from "uuidv7";

/**
 * UUIDv7 ids from a pooled Web Crypto source: an apply makes three ids per row, and the
 * library's default pool of 8 numbers made getRandomValues a visible cost in its profile.
 */
const pool = new Uint32Array(1024);
let cursor = pool.length;
const generator = new V7Generator({
  nextUint32() {
    if (cursor === pool.length) (crypto.getRandomValues(pool), (cursor = 0));
    return pool[cursor++]!;
  },
});

const HEX = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const text = new Uint8Array(36).fill(0x2d); // the "-" at 8, 13, 18 and 23 stay
const decoder = new TextDecoder();

/**
 * The 8-4-4-4-12 text of 16 UUID bytes, as one flat string. The library's toString() appends one
 * character at a time, which leaves a deep tree of string pieces behind: every later
 * JSON.stringify, copy or hash of the id flattens it again (an apply's event text serialized
 * ≈ 3× slower, bench/notes-writepath.md). Decoding the 36 ASCII bytes builds it flat, once.
 */
export function idText(bytes: Uint8Array): string {
  for (let i = 0, j = 0; i < 16; i++, j++) {
    if (j === 8 || j === 13 || j === 18 || j === 23) j++;
    text[j++] = HEX[bytes[i]! >>> 4]!;
    text[j] = HEX[bytes[i]! & 15]!;
  }
  return decoder.decode(text);
}

export const newId = (): string => idText(generator.generate().bytes);
