import { ConfigError, readConfig } from "../config.js";
import { replayProjections } from "../replay/replay.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";
import { openDatabase } from "./open-database.js";

/**
 * `npm run replay [-- --swap]`: rebuilds every projection from the log, verifies it against the
 * live tables and exits non-zero on any difference. `--swap` replaces the live tables after a
 * verified rebuild. `--json` prints the report as JSON.
 */
async function main() {
  const args = new Set(process.argv.slice(2));
  const config = readConfig(process.env);
  const store = createLibsqlEventStore(await openDatabase(config.libsqlUrl, config.libsqlAuthToken));
  try {
    const report = await replayProjections(store, { swap: args.has("--swap") });
    if (args.has("--json")) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`Replayed ${report.Events} events (up to position ${report.LastPosition}) in ${report.DurationMs} ms: ${report.EventsPerSecond} events/s`);
      console.table(
        report.Projections.map((p) => ({ projection: p.Projection, live: p.LiveRows, rebuilt: p.RebuiltRows, checksum: p.RebuiltChecksum.slice(0, 16), equal: p.Equal })),
      );
      console.log(report.Equal ? (report.Swapped ? "Verified; live tables replaced by the rebuild." : "Verified: every projection equals the log.") : "DIFFERENT: the live state does not match the log.");
    }
    process.exitCode = report.Equal ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(2);
});
