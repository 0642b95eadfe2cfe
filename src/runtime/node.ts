import { ConfigError, readConfig } from "../config.js";
import { limitHeapGrowth } from "./heap-growth.js";
import { startNodeServer } from "./node-server.js";
import { AUTH_DISABLED_WARNING, loggerFor, startupLines } from "./service.js";

/** `npm start`: the service on Node with the embedded libSQL file by default. */
async function main() {
  const config = readConfig(process.env);
  limitHeapGrowth(config.heapGrowingPercent);
  if (config.authDisabled) console.warn(AUTH_DISABLED_WARNING);
  const server = await startNodeServer(config, loggerFor(process.env.LOG_LEVEL));
  for (const line of startupLines(config, server.url, server.token)) console.log(line);
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing open requests, then closing.`);
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(1);
});
