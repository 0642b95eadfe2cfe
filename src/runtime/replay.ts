import { ConfigError, readConfig } from "../config.js";
import { runReplay } from "../services/replay.service.js";
import { newId } from "../support/ids.js";
import { createLibsqlEventStore } from "../store/libsql-event-store.js";
import { openDatabase } from "./open-database.js";
import { readProcessFor } from "./read-process.js";

/**
 * `npm run replay [-- --swap]`: rebuilds every projection from the log, verifies it against the
 * live tables and exits 1 on any difference. `--swap` replaces the live tables after a verified
 * rebuild. `--json` prints the report as JSON. Exits 3, with nothing changed, when another replay
 * is running on the same database or the log moved on while it ran (see runReplay).
 */
async function main() {
  const args = new Set(process.argv.slice(2));
  const config = readConfig(process.env);
  const client = await openDatabase(config.libsqlUrl, config.libsqlAuthToken);
  // The check's pages are read on this connection and, unless READ_PROCESS=false, in a read
  // process beside it (≈ 80 ms to start; see read-process.ts).
  const reads = readProcessFor(config.libsqlUrl, config.readProcess);
  await reads?.ready();
  const store = createLibsqlEventStore(client, { readProcess: reads?.current });
  try {
    const outcome = await runReplay({ store, now: () => new Date(), newId }, { swap: args.has("--swap") });
    if (!outcome.ok) {
      console.error(outcome.errors.map((e) => e.Message).join("\n"));
      process.exitCode = 3;
      return;
    }
    const report = outcome.report;
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
    await reads?.close();
    await store.close();
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? `Configuration error: ${err.message}` : err);
  process.exit(2);
});
