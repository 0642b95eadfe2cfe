import type { Failure } from "./deps.js";

/** Chunks sent to the other thread and not yet done there, at most. */
const AWAY_AHEAD = 2;

/**
 * Works through chunks 0…count-1 on two threads: the other thread (`away`) always has a chunk or
 * two waiting while this one does the next unclaimed chunk itself (`here`), so each thread takes
 * as many chunks as its speed allows (one that has just started runs unoptimized code and takes
 * fewer). Results are taken in chunk order; `take` may stop the run with a failure, which is then
 * the first in chunk order. A chunk the other thread cannot do (it has stopped) is done here.
 */
export async function inTwoThreads<T>(count: number, away: (c: number) => Promise<T>, here: (c: number) => T | Promise<T>, take: (result: T, c: number) => Failure | null): Promise<Failure | null> {
  const done: (T | undefined)[] = [];
  const elsewhere = new Map<number, Promise<void>>();
  let next = 0; // the first chunk nobody has claimed
  for (let c = 0; c < count; ) {
    while (elsewhere.size < AWAY_AHEAD && next < count) {
      const k = next++;
      const result = away(k)
        .catch(() => here(k))
        .then((r) => void ((done[k] = r), elsewhere.delete(k)));
      elsewhere.set(k, result);
    }
    const ready = done[c];
    if (ready !== undefined) {
      done[c] = undefined;
      const failed = take(ready, c);
      if (failed) {
        await Promise.allSettled(elsewhere.values());
        return failed;
      }
      c++;
    } else if (next < count) {
      const k = next++;
      done[k] = await here(k);
    } else await elsewhere.get(c);
  }
  return null;
}
