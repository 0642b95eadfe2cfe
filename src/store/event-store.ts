import type { InStatement, Row } from "@libsql/client";
import type { EventType } from "../../events/catalog.js";
import type { EventMetadata } from "../../events/metadata.js";

export type Stmt = InStatement;

export type NewEvent = {
  eventId: string;
  streamId: string;
  /** The version this event gives its stream: previous version + 1. The unique key guards it. */
  streamVersion: number;
  type: EventType;
  data: unknown;
  metadata: EventMetadata;
};

export type StoredEvent = {
  position: number;
  eventId: string;
  streamId: string;
  streamVersion: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: EventMetadata;
  recordedAt: string;
};

/**
 * One commit: its events and the projection rows they change, written as one atomic batch.
 * `guards` run first; a guard that fails (a unique key, a CHECK) aborts the whole commit. The
 * events are inserted next, so `projections` may read them back from the log.
 */
export type Commit = {
  events: NewEvent[];
  projections: Stmt[];
  guards?: Stmt[];
  recordedAt: string;
};

export type AppendOutcome =
  | { ok: true; firstPosition: number; lastPosition: number }
  /** `duplicate`: an event id was already stored, so this commit happened before. */
  | { ok: false; reason: "stream_conflict" | "duplicate" | "constraint"; detail: string };

export type ReadQuery = { after?: number; limit: number; streamId?: string; type?: string };

export interface EventStore {
  append(commit: Commit): Promise<AppendOutcome>;
  /**
   * Optional: builds a commit's statements now (serializing its events), so a later `append` of
   * the same commit object only sends them. Lets a caller do that work while an earlier commit
   * is still being written.
   */
  prepare?(commit: Commit): void;
  read(query: ReadQuery): Promise<StoredEvent[]>;
  readStream(streamId: string): Promise<StoredEvent[]>;
  /** Reads a projection. */
  query(stmt: Stmt): Promise<Row[]>;
  /**
   * Optional: `query` on a connection that runs beside this thread (the Node server's database
   * thread), so the caller can do other work while it runs. It sees every committed write; a
   * read queued behind a commit waits for it, so writers should not use it.
   */
  queryBeside?(stmt: Stmt): Promise<Row[]>;
  /**
   * Optional: `query` on a read-only connection in another process (the Node server's read
   * process) while it is up, else null. The connections of one process share SQLite's allocation
   * mutex and slow each other down; that one runs beside them all. It sees every committed write.
   */
  readProcess?(): ((stmt: Stmt) => Promise<Row[]>) | null;
  /** Writes outside the log (idempotency records): one atomic batch, serialized with appends. */
  write(stmts: Stmt[]): Promise<void>;
  close(): Promise<void>;
}
