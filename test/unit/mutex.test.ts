import { describe, expect, it } from "vitest";
import { createMutex } from "../../src/store/mutex.js";

describe("writer mutex", () => {
  it("starts a writer that finds it free in the caller's turn", () => {
    const exclusive = createMutex();
    let started = false;
    void exclusive(async () => void (started = true));
    expect(started).toBe(true);
  });

  it("runs writers one at a time in call order, also after one fails, and is free again after", async () => {
    const exclusive = createMutex();
    const log: string[] = [];
    const release: (() => void)[] = [];
    const writer = (name: string, fail = false) =>
      exclusive(async () => {
        log.push(`start ${name}`);
        await new Promise<void>((r) => release.push(r));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      });
    const a = writer("a", true);
    const b = writer("b");
    const c = writer("c");
    expect(log).toEqual(["start a"]);
    release.shift()!();
    await expect(a).rejects.toThrow("a");
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["start a", "end a", "start b"]);
    release.shift()!();
    await b;
    await new Promise((r) => setTimeout(r, 0));
    release.shift()!();
    await c;
    expect(log).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    let started = false;
    void exclusive(async () => void (started = true));
    expect(started).toBe(true);
    // A writer that throws before returning its promise rejects like one that fails later.
    await expect(exclusive(() => { throw new Error("sync"); })).rejects.toThrow("sync");
  });
});
