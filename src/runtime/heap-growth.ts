import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the heap grow past what the last full GC kept, in percent (`HEAP_GROWING_PERCENT`,
 * default 50). Left to itself V8 grows it up to 4× (measured: ~90 MB live during a 1M-record
 * apply, 1.3 GB of heap before the next full GC); 50 % keeps a long import's peak at ~250 MB of
 * heap, and the extra full GCs were below the noise of the 100k bench (bench/README.md).
 * `HEAP_GROWING_PERCENT=0` gives V8 its default.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
