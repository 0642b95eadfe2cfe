import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The node arguments of `npm start` (package.json's start script without its leading `node`), so
 * the bench and the start-up test run the service exactly as a newcomer does, flags included.
 */
export function npmStartNodeArgs(root: string): string[] {
  const start = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts?: { start?: string } }).scripts?.start ?? "";
  const [command, ...args] = start.trim().split(/\s+/);
  if (command !== "node" || args.at(-1) !== "src/runtime/node.ts") throw new Error(`npm start is not "node … src/runtime/node.ts": ${start}`);
  return args;
}
