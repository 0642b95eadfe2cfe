/**
 * A promise-chain mutex: writers of one process take turns, so SQLITE_BUSY never comes from us.
 * A writer that finds it free starts at once, in the caller's turn: its statements reach the
 * database (or the database thread) before the caller goes on, not a microtask later.
 */
export function createMutex() {
  let tail: Promise<unknown> | null = null; // null: free
  return function runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail === null ? now(fn) : tail.then(fn, fn);
    const settled: Promise<unknown> = run.then(
      () => void (tail === settled && (tail = null)),
      () => void (tail === settled && (tail = null)),
    );
    tail = settled;
    return run;
  };
}

const now = <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
};
