import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeIdentity } from "../../src/domain/keys.js";
import { claimEntities, claimsMatch } from "../../src/replay/claims.js";

const ENTITY = "01a20a95-7b50-7466-b238-d5b3985706e9";
const entities = claimEntities([{ entity: ENTITY, fields: ["email", "name"] }]);
const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
const id = (i: number) => `01a20a95-7ea9-7462-a737-${String(i).padStart(12, "0")}`;

/** The page SQL hands over: per instance `id US 0 US json US json` (0: the first entity; '' when absent), RS between. */
const valuesPage = (rows: [string, string][]) => rows.map(([email, name], i) => `${id(i)}\x1f0\x1f${email}\x1f${name}`).join("\x1e");
/** The identity index page those instances imply, as rowText writes it (null: no rows), by the reference normalizeIdentity. */
const heldPage = (rows: [string, string][]) => {
  const out: string[] = [];
  rows.forEach((values, i) =>
    values.forEach((json, j) => {
      const value = json === "" ? null : normalizeIdentity(JSON.parse(json));
      if (value !== null) out.push(`${ENTITY}\x1f${["email", "name"][j]}\x1f${value}\x1f${id(i)}`);
    }),
  );
  return out.length ? out.join("\x1e") : null;
};

const ROWS: [string, string][] = [
  ['"a@x.at"', '"plain name"'],
  ['"Foo@X.at"', '" Spaced "'],
  ['"Ärger@x.at"', ""],
  ["", '"e\\u0301"'],
  ["null", "5"],
  ['"q\\"uote"', "true"],
  ['{"n":1}', '["x"]'],
  ['""', '"  "'],
];

describe("claimsMatch: the identity index page against the claims its instances imply", () => {
  it("accepts exactly the implied rows, plain values and values that need normalizing alike", () => {
    expect(claimsMatch(bytes(valuesPage(ROWS)), bytes(heldPage(ROWS)!), entities)).toBe(true);
    expect(claimsMatch(null, null, entities)).toBe(true);
    expect(claimsMatch(bytes(valuesPage([["", "null"]])), null, entities)).toBe(true);
  });

  it("rejects a missing, extra, reordered or altered index row", () => {
    const values = bytes(valuesPage(ROWS));
    const held = heldPage(ROWS)!;
    const rows = held.split("\x1e");
    const reject = (h: string | null) => expect(claimsMatch(values, h === null ? null : bytes(h), entities)).toBe(false);
    reject(rows.slice(1).join("\x1e"));
    reject(rows.slice(0, -1).join("\x1e"));
    reject(`${held}\x1e${rows[0]}`);
    reject(`${held}\x1e`);
    reject([rows[1], rows[0], ...rows.slice(2)].join("\x1e"));
    reject(held.replace("foo@x.at", "Foo@X.at")); // as the instance holds it, not normalized
    reject(held.replace("a@x.at", "b@x.at"));
    reject(held.replace(id(0), id(9)));
    reject(held.replace("\x1femail\x1f", "\x1fmail\x1f"));
    reject(null);
    expect(claimsMatch(null, bytes(rows[0]!), entities)).toBe(false);
  });

  it("never judges a row it cannot read: malformed fields (''), an unknown entity, a wrong number of values", () => {
    const held = bytes(heldPage(ROWS)!);
    const one = bytes(`${ENTITY}\x1femail\x1fa@x.at\x1f${id(0)}`);
    expect(claimsMatch(bytes(`${valuesPage(ROWS)}\x1e`), held, entities)).toBe(false);
    expect(claimsMatch(bytes(""), null, entities)).toBe(false);
    expect(claimsMatch(bytes(`${id(0)}\x1f0\x1f"a@x.at"\x1f""`), one, entities)).toBe(true);
    for (const n of ["1", "", "x", "00000000", "-0", "0 "]) expect(claimsMatch(bytes(`${id(0)}\x1f${n}\x1f"a@x.at"\x1f""`), one, entities)).toBe(false);
    expect(claimsMatch(bytes(`${id(0)}\x1f0\x1f"a@x.at"`), one, entities)).toBe(false);
    expect(claimsMatch(bytes(`${id(0)}\x1f0\x1f"a@x.at"\x1f""\x1f""`), one, entities)).toBe(false);
    expect(claimsMatch(bytes(`${id(0)}\x1f0\x1f{"a":`), null, entities)).toBe(false);
    // normalizeIdentity throws on this value (as a live commit would): not judged either.
    expect(claimsMatch(bytes(`${id(0)}\x1f0\x1f{"toString":1}\x1f""`), null, entities)).toBe(false);
  });

  it("tells entities apart by their index", () => {
    const two = claimEntities([
      { entity: "e-one", fields: ["email"] },
      { entity: "e-two", fields: ["code", "email"] },
    ]);
    const values = bytes(`${id(0)}\x1f1\x1f"c1"\x1f"x@y.at"\x1e${id(1)}\x1f0\x1f"z@y.at"`);
    expect(claimsMatch(values, bytes(`e-two\x1fcode\x1fc1\x1f${id(0)}\x1ee-two\x1femail\x1fx@y.at\x1f${id(0)}\x1ee-one\x1femail\x1fz@y.at\x1f${id(1)}`), two)).toBe(true);
    expect(claimsMatch(values, bytes(`e-two\x1fcode\x1fc1\x1f${id(0)}\x1ee-two\x1femail\x1fx@y.at\x1f${id(0)}\x1ee-two\x1femail\x1fz@y.at\x1f${id(1)}`), two)).toBe(false);
  });

  it("agrees with the reference normalizeIdentity for any JSON values, and rejects any one changed byte", () => {
    const json = fc.oneof(fc.constant(""), fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ unit: "binary" }).map((s) => JSON.stringify(s)), fc.emailAddress().map((s) => JSON.stringify(s)));
    fc.assert(
      fc.property(fc.array(fc.tuple(json, json), { minLength: 1, maxLength: 6 }), fc.nat(), (rows, flip) => {
        const values = bytes(valuesPage(rows));
        let held: string | null;
        try {
          held = heldPage(rows);
        } catch {
          // normalizeIdentity throws on values such as {"toString":1} (a live commit fails the same way): never judged.
          expect(claimsMatch(values, null, entities)).toBe(false);
          return;
        }
        expect(claimsMatch(values, held === null ? null : bytes(held), entities)).toBe(true);
        if (held !== null) {
          const changed = new Uint8Array(bytes(held));
          changed[flip % changed.length]! ^= 0x01;
          expect(claimsMatch(values, changed.buffer, entities)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
