/**
 * Tracks promises that outlive their request (webhook imports) so a graceful shutdown can wait
 * for them instead of closing the database under them. Runtime-neutral: the Node and Deno entries
 * pass `run` to createApp as `runInBackground` and await `drain()` before closing the store.
 */
export function createBackgroundTasks() {
  const pending = new Set<Promise<unknown>>();
  return {
    run(p: Promise<unknown>): void {
      // Failures are the caller's to log; here they must only not become unhandled rejections.
      const tracked: Promise<unknown> = p.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    /** Resolves when every task started so far (and any they start meanwhile) has settled. */
    async drain(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    get size() {
      return pending.size;
    },
  };
}
