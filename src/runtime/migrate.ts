import { ConfigError, readConfig } from "../config.js";
import { openDatabase } from "./node-server.js";

/** `npm run db:migrate`: applies pending migrations to LIBSQL_URL (embedded file or remote libSQL/Turso). */
async function main() {
  const config = readConfig(process.env);
  const client = await openDatabase(config.libsqlUrl, config.libsqlAuthToken);
  const rs = await client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
  console.log(`Migrations applied to ${config.libsqlUrl.replace(/\/\/[^@/]*@/, "//")}: ${rs.rows[0]?.n} in total.`);
  client.close();
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : `Migration failed: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
