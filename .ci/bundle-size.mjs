// Prints the gzip size of the Worker bundle and fails above the budget (Workers' limits and cold starts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KIB = 400;
const dir = process.argv[2] ?? "dist";
let raw = 0;
let gz = 0;
for (const name of readdirSync(dir)) {
  const path = join(dir, name);
  if (!statSync(path).isFile() || !/\.(m?js|wasm)$/.test(name)) continue;
  const bytes = readFileSync(path);
  raw += bytes.length;
  gz += gzipSync(bytes, { level: 9 }).length;
}
const kib = (n) => (n / 1024).toFixed(1);
console.log(`Worker bundle: ${kib(raw)} KiB, ${kib(gz)} KiB gzip (budget ${BUDGET_KIB} KiB gzip)`);
if (gz === 0 || gz / 1024 > BUDGET_KIB) process.exit(1);
