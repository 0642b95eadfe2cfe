import { ConfigError, readConfig } from "../config.js";
import { AUTH_DISABLED_WARNING, buildService, loggerFor, startupLines } from "./service.js";

/**
 * `npm run start:deno`: the same app on Deno, on the embedded libSQL file by default.
 * npm packages come from ./node_modules (deno.json: nodeModulesDir "manual"); nothing is downloaded.
 */
async function main() {
  const env = Deno.env.toObject();
  const config = readConfig(env);
  if (config.authDisabled) console.warn(AUTH_DISABLED_WARNING);
  // Deno may write only under ./data (see start:deno); big uploads spill there instead of /tmp.
  const { app, store, token, background } = await buildService({ ...config, spoolDir: config.spoolDir ?? "data" }, loggerFor(env.LOG_LEVEL));
  const server = Deno.serve(
    {
      port: config.port,
      hostname: config.host,
      onListen({ port }) {
        for (const line of startupLines(config, `http://${config.host}:${port}`, token)) console.log(line);
      },
    },
    (request) => app.fetch(request),
  );
  let closing = false;
  const shutdown = async (signal: Deno.Signal) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing open requests, then closing.`);
    await server.shutdown();
    // Webhook imports still running finish before the database closes.
    await background.drain();
    await store.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  Deno.exit(1);
});
