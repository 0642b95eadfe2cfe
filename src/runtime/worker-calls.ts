import type { Worker } from "node:worker_threads";

/**
 * Request and answer over a worker's messages: each call is a message with an `id`, answered by
 * `{ id, result }` or `{ id, error }`. The worker keeps the process alive only while a call is
 * waiting for it. Once it fails or exits (or `stop` is called), every waiting and later call
 * rejects with the last such error.
 */
export function workerCalls<E>(worker: Worker, opts: { decodeError(error: E): Error; exited(): Error }) {
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  let nextId = 0;
  let failure: Error | null = null;
  worker.unref();

  const stop = (error: Error) => {
    failure = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on("message", ({ id, result, error }: { id: number; result?: unknown; error?: E }) => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    if (error !== undefined) p.reject(opts.decodeError(error));
    else p.resolve(result);
  });
  worker.on("error", (e) => stop(e instanceof Error ? e : new Error(String(e))));
  worker.on("exit", () => stop(opts.exited()));

  const call = <T>(message: Record<string, unknown>): Promise<T> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...message, id });
    });
  };
  return { call, stop };
}
