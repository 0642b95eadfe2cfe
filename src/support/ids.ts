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

export const newId = (): string => generator.generate().toString();
