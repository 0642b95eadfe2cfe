// Nothing outside src/runtime/ may import node: modules: the Worker build cannot load them.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const offenders = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (path !== join("src", "runtime")) walk(path);
    } else if (/\.(ts|js|mjs)$/.test(name)) {
      const text = readFileSync(path, "utf8");
      if (/from\s+["']node:|require\(["']node:|import\(["']node:/.test(text)) offenders.push(path);
    }
  }
}
walk("src");
if (offenders.length) {
  console.error(`node: imports outside src/runtime/:\n  ${offenders.join("\n  ")}`);
  process.exit(1);
}
console.log("no node: imports outside src/runtime/");
