import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { createApp, silentLogger } from "../../src/app.js";
import { openDatabase } from "../../src/runtime/open-database.js";
import { replayProjections } from "../../src/replay/replay.js";
import { createLibsqlEventStore } from "../../src/store/libsql-event-store.js";
import { formOf, file } from "../support/server.js";

/** Random sequences of definition, profile, plan and apply commands always replay to identical checksums. */
const entityKey = fc.constantFrom("candidate", "job");
const email = fc.constantFrom("a@x.at", "B@x.at", "b@x.at ", "c@x.at", "not-mail", "");
const record = fc.record({
  email,
  name: fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
  age: fc.option(fc.oneof(fc.integer({ min: -5, max: 120 }), fc.constant("x")), { nil: undefined }),
});
const command = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("define" as const), entity: entityKey }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("change" as const), entity: entityKey, field: fc.constantFrom("phone", "city", "name") }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("profile" as const), entity: entityKey, key: fc.constantFrom("by_email", "by_name", "always"), importMode: fc.constantFrom(0, 1, 2) }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constantFrom("plan" as const, "apply" as const), entity: entityKey, profile: fc.constantFrom("by_email", "by_name", "always"), records: fc.array(record, { minLength: 1, maxLength: 6 }) }),
    weight: 6,
  },
);

describe("replay property", () => {
  it("any command sequence replays to the live state", async () => {
    await fc.assert(
      // Every sequence starts from both definitions, so most commands do something.
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 14 }), async (random) => {
        const commands = [{ kind: "define" as const, entity: "candidate" }, { kind: "define" as const, entity: "job" }, ...random];
        const dir = mkdtempSync(join(tmpdir(), "prop-"));
        const store = createLibsqlEventStore(await openDatabase(`file:${join(dir, "p.db")}`));
        try {
          const app = await createApp({ deps: { store, now: () => new Date(), newId: uuidv7 }, tokens: null, authDisabled: true, maxUploadBytes: 1 << 20, logger: silentLogger });
          const json = (method: string, path: string, body: unknown) => app.request(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
          for (const c of commands) {
            let res: Response;
            if (c.kind === "define")
              res = await json("POST", "/api/workspace/entity-definitions", {
                Key: c.entity,
                DisplayNameSingular: c.entity,
                DisplayNamePlural: `${c.entity}s`,
                Fields: [{ Key: "email", Label: "E", Type: "email", Required: true }, { Key: "age", Label: "A", Type: "integer" }],
              });
            else if (c.kind === "change") res = await json("PUT", `/api/workspace/entity-definitions/${c.entity}`, { Fields: [{ Key: c.field, Label: c.field, Type: "string" }] });
            else if (c.kind === "profile") {
              const identity = c.key === "always" ? { IdentityMode: 2, ImportMode: c.importMode === 2 ? 0 : c.importMode } : { IdentityMode: 0, IdentityFieldKey: c.key === "by_email" ? "email" : "name", ImportMode: c.importMode };
              res = await json("POST", `/api/workspace/entity/${c.entity}/data-transfer/profiles`, { Key: c.key, Name: c.key, ...identity });
            } else {
              const doc = { FormatVersion: 1, Records: c.records.map((r) => ({ Fields: r })) };
              const form = formOf({ ProfileId: c.profile, File: file(doc), ...(c.kind === "apply" ? { SelectedRowIndexes: `1-${c.records.length}` } : {}) });
              res = await app.request(`/api/workspace/entity/${c.entity}/data-transfer/import/json/${c.kind}`, { method: "POST", body: form });
            }
            expect(res.status).toBeLessThan(500);
          }
          const report = await replayProjections(store);
          expect(report.Projections.filter((p) => !p.Equal)).toEqual([]);
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
