import type { InValue } from "@libsql/client";
import type { Stmt } from "./event-store.js";

/**
 * A statement that aborts the atomic batch it is part of when `condition` (SQL) holds, so a write
 * can check what it depends on in the same batch as the write itself. It uses the log's
 * append-only triggers (migration 0001): it touches the last event only when the condition holds,
 * and the trigger refuses that. The batch then fails as a constraint failure and nothing of it is
 * written. On an empty log it never aborts.
 */
export const abortBatchIf = (condition: string, args: InValue[]): Stmt => ({
  sql: `UPDATE events SET type = type WHERE position = (SELECT max(position) FROM events) AND (${condition})`,
  args,
});
