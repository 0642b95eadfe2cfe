import { ConfigError, readConfig } from "../config.js";
import { jsonLogger, startNodeServer } from "./node-server.js";

/** `npm start`: the service on Node with the embedded libSQL file by default. */
async function main() {
  const config = readConfig(process.env);
  if (config.authDisabled) console.warn("WARNING: AUTH_DISABLED=true — every request is accepted without a token. Use only for local trials.");
  const server = await startNodeServer(config, process.env.LOG_LEVEL === "silent" ? { info() {}, error: jsonLogger.error } : jsonLogger);
  console.log(`Import service listening on ${server.url} (database ${config.libsqlUrl})`);
  console.log(`API reference: ${server.url}/docs`);
  if (server.token) {
    console.log("No API_TOKENS configured: this one-time token has every scope until the process stops:");
    console.log(`  ${server.token}`);
  }
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
