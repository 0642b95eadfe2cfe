import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the heap grow past what the last full GC kept, in percent (`HEAP_GROWING_PERCENT`,
 * default 100). Left to itself V8 grows it up to 4× (measured: ~90 MB live during a 1M-record
 * apply, 1.3 GB of heap before the next full GC; the 1M bench's server peaked at 919 MiB). 100 %
 * keeps that peak at ≈ 700 MiB; 50 % saved another 20–40 MiB but its extra full GCs cost the
 * 100k plan and re-apply 3–10 % (bench/README.md, stop 16). `HEAP_GROWING_PERCENT=0` gives V8 its default.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
