import { describe, expect, it } from "vitest";
import { createBackgroundTasks } from "../../src/support/background.js";

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe("createBackgroundTasks", () => {
  it("given running tasks, when drained, then it resolves only after all of them settled", async () => {
    const tasks = createBackgroundTasks();
    const done: string[] = [];
    tasks.run(later(30, "a").then((v) => done.push(v)));
    tasks.run(later(10, "b").then((v) => done.push(v)));
    expect(tasks.size).toBe(2);
    await tasks.drain();
    expect(done.sort()).toEqual(["a", "b"]);
    expect(tasks.size).toBe(0);
  });

  it("given a task that fails, then drain still resolves and nothing is left unhandled", async () => {
    const tasks = createBackgroundTasks();
    tasks.run(Promise.reject(new Error("boom")));
    await expect(tasks.drain()).resolves.toBeUndefined();
  });

  it("given a task that starts another while draining, then drain waits for that one too", async () => {
    const tasks = createBackgroundTasks();
    let second = false;
    tasks.run(later(5, null).then(() => tasks.run(later(20, null).then(() => (second = true)))));
    await tasks.drain();
    expect(second).toBe(true);
  });
});
