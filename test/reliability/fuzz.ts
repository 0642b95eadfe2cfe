import fc from "fast-check";
import { createHmac } from "node:crypto";
import { IssueTypes } from "../../src/domain/issues.js";

/**
 * Hostile requests for every route (issue 7), as small specs that fast-check generates and
 * shrinks; `materialize` turns a spec into the request (deep nesting, big and oversize bodies are
 * built only then, so a counterexample prints small). `checkAnswer` is the oracle: no 5xx, and
 * every 4xx is the SPEC's envelope or problem details.
 */

export const FUZZ_ADMIN = "fuzz-admin-token-0123456789abcdef";
export const FUZZ_PLANNER = "fuzz-planner-token-0123456789abcd";
export const FUZZ_TOKENS = { [FUZZ_ADMIN]: ["*"], [FUZZ_PLANNER]: ["import:plan"] };
export const FUZZ_WEBHOOK_SECRET = "fuzz-webhook-secret-0123456789";
/** MAX_UPLOAD_BYTES of the fuzzed service: small, so oversize bodies are cheap to send. */
export const FUZZ_MAX_UPLOAD = 1 << 20;

// ---------------------------------------------------------------- values

const INJECTIONS = [
  "'; DROP TABLE events; --",
  "\" OR 1=1 --",
  "1; DELETE FROM instances",
  "Robert'); DROP TABLE instances;--",
  "' UNION SELECT sql FROM sqlite_master --",
  "x' || (SELECT count(*) FROM events) || '",
  "=cmd|' /C calc'!A0",
  "+1+1",
  "-2+3",
  "@SUM(A1:A2)",
  '=HYPERLINK("http://evil.example","x")',
  "\t=1+1",
  "\r=1+1",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "%00",
  "%",
  "%zz",
  "../../../etc/passwd",
  "${7*7}",
  "{{7*7}}",
  "<script>alert(1)</script>",
  "\ud800",
  "\udfff",
  "a\ud800b",
  "\udc00\ud800",
  "😀",
  "\u202e\u0645",
  "\ufeff",
  "NaN",
  "Infinity",
  "-0",
  "1e309",
  "null",
  "true",
  "[]",
  "{}",
  "1-999999999",
  "0x10",
  "١٢٣",
  "İstanbul",
  "ǅ",
];
const KNOWN = ["candidate", "Candidate", " candidate ", "by_email", "email", "first_name", "job", "anna@fuzz.test"];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...KNOWN) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3000 }).map((n) => "x".repeat(n)) },
);
const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1, 1e308, 2 ** 31, -(2 ** 53)) },
);
const keyArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("__proto__", "constructor", "prototype", "email", "first_name", "age", "stage", "Email", " E-Mail ", "FIRST NAME", "x") },
  { weight: 1, arbitrary: hostileString },
);
const { json: hostileJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof({ depthSize: "small", withCrossShrink: true }, hostileScalar, fc.array(tie("json"), { maxLength: 4 }), fc.dictionary(keyArb, tie("json"), { maxKeys: 4 })),
}));

// ---------------------------------------------------------------- payload specs

/** Bodies too big to print are specs: built by `payloadBytes` only when sent. */
export type Payload =
  | { t: "text"; text: string }
  | { t: "bytes"; bytes: number[] }
  | { t: "deep"; where: "root" | "formatVersion" | "records" | "field" | "unknownKey" | "entity" | "jsonField"; open: "[" | "{"; n: number }
  | { t: "huge"; n: number }
  | { t: "oversize"; n: number }
  | { t: "many"; n: number };

function nest(open: "[" | "{", n: number): string {
  return open === "[" ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n);
}

export function payloadBytes(p: Payload): string | Uint8Array<ArrayBuffer> {
  switch (p.t) {
    case "text":
      return p.text;
    case "bytes":
      return new Uint8Array(p.bytes);
    case "deep": {
      const d = nest(p.open, p.n);
      if (p.where === "root") return d;
      if (p.where === "formatVersion") return `{"FormatVersion":${d},"Records":[]}`;
      if (p.where === "records") return `{"FormatVersion":1,"Records":${d}}`;
      if (p.where === "entity") return `{"FormatVersion":1,"Entity":{"Key":${d}},"Records":[]}`;
      if (p.where === "field") return `{"FormatVersion":1,"Records":[{"Fields":{"email":"deep@fuzz.test","first_name":${d}}}]}`;
      if (p.where === "unknownKey") return `{"FormatVersion":1,"Records":[{"Fields":{"email":"deep@fuzz.test","deep":${d}}}],"Extra":${d}}`;
      return `{"Key":"deepthing","DisplayNameSingular":"a","DisplayNamePlural":"b","Fields":${d},"ProfileId":${d},"Query":${d},"FieldMap":${d}}`;
    }
    case "huge":
      return `{"FormatVersion":1,"Records":[{"Fields":{"email":"huge@fuzz.test","last_name":"${"y".repeat(p.n)}"}}]}`;
    case "oversize":
      return `{"FormatVersion":1,"Records":[],"Pad":"${"z".repeat(p.n)}"}`;
    case "many":
      return JSON.stringify({ FormatVersion: 1, Records: Array.from({ length: p.n }, (_, i) => ({ Fields: { email: `many${i % 50}@fuzz.test`, first_name: i % 7 === 0 ? "=1+1" : `M${i}`, age: i % 3 === 0 ? "x" : i } })) });
  }
}

const INVALID_UTF8 = [
  [0xc3, 0x28],
  [0xff, 0xfe, 0xfd],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xc0, 0xaf],
];
const bytesArb: fc.Arbitrary<Payload> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ t: "bytes" as const, bytes: [...b] })),
  fc.tuple(fc.constantFrom(...INVALID_UTF8), fc.constantFrom('{"FormatVersion":1,"Records":[{"Fields":{"email":"', '{"Key":"', "")).map(([bad, prefix]) => ({
    t: "bytes" as const,
    bytes: [...new TextEncoder().encode(prefix), ...bad, ...new TextEncoder().encode(prefix ? '@x.at"}}]}' : "")],
  })),
);

const recordArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ InstanceId: hostileScalar, RowVersion: hostileScalar, Fields: fc.oneof(fc.dictionary(keyArb, hostileJson, { maxKeys: 6 }), hostileJson) }, { requiredKeys: [] }) },
  { weight: 2, arbitrary: fc.record({ email: fc.oneof(fc.nat(30).map((n) => `f${n}@fuzz.test`), hostileString), first_name: hostileScalar, age: hostileScalar, stage: hostileScalar }, { requiredKeys: ["email"] }).map((Fields) => ({ Fields })) },
  { weight: 1, arbitrary: hostileJson },
);
const packageObj = fc.record(
  {
    FormatVersion: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: hostileJson }),
    ExportedAtUtc: hostileJson,
    Entity: fc.oneof(fc.constant({ Key: "candidate" }), fc.record({ Key: hostileScalar, Id: hostileScalar }, { requiredKeys: [] }), hostileJson),
    Profile: hostileJson,
    Records: fc.oneof({ weight: 5, arbitrary: fc.array(recordArb, { maxLength: 8 }) }, { weight: 1, arbitrary: hostileJson }),
  },
  { requiredKeys: [] },
);
const RAW_PACKAGES = [
  '{"FormatVersion":1,"__proto__":{"Records":[{"Fields":{"email":"p@x.at"}}]},"Records":[{"__proto__":{"Fields":{"email":"q@x.at"}}},{"Fields":{"__proto__":{"email":"r@x.at"},"constructor":{"prototype":{"x":1}},"email":"proto@fuzz.test"}}]}',
  '\ufeff{"FormatVersion":1,"Records":[]}',
  '{"FormatVersion":1,"Records":[{"Fields":{"email":"dup@fuzz.test"}},{"Fields":{"email":"DUP@fuzz.test "}}]}',
  '{"FormatVersion":1,"FormatVersion":2,"Records":[]}',
  '{"FormatVersion":1.0,"Records":[{"Fields":{"email":"one@fuzz.test","age":1e400}}]}',
  '{"FormatVersion":1,"Records":[{"Fields":{"email":"\\ud800@fuzz.test","first_name":"\\udfff"}}]}',
  "",
  "null",
  "[]",
  "{}",
  "1",
  '"FormatVersion"',
  "{'FormatVersion':1}",
  '{"FormatVersion":1,"Records":[}',
  "undefined",
];
export const packageArb: fc.Arbitrary<Payload> = fc.oneof(
  { weight: 8, arbitrary: packageObj.map((p) => ({ t: "text" as const, text: JSON.stringify(p) })) },
  { weight: 2, arbitrary: packageObj.chain((p) => { const s = JSON.stringify(p); return fc.nat(s.length).map((i) => ({ t: "text" as const, text: s.slice(0, i) })); }) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_PACKAGES).map((text) => ({ t: "text" as const, text })) },
  { weight: 1, arbitrary: hostileJson.map((v) => ({ t: "text" as const, text: JSON.stringify(v) ?? "" })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ t: "text" as const, text })) },
  { weight: 1, arbitrary: bytesArb },
  { weight: 1, arbitrary: fc.record({ where: fc.constantFrom("root" as const, "formatVersion" as const, "records" as const, "field" as const, "unknownKey" as const, "entity" as const), open: fc.constantFrom("[" as const, "{" as const), n: fc.constantFrom(64, 1000, 100_000) }).map((d) => ({ t: "deep" as const, ...d })) },
  { weight: 1, arbitrary: fc.constantFrom(200_000, 900_000).map((n) => ({ t: "huge" as const, n })) },
  { weight: 1, arbitrary: fc.constantFrom(20, 600).map((n) => ({ t: "many" as const, n })) },
);

// ---------------------------------------------------------------- requests

export type Auth = "admin" | "planner" | "none" | "wrong" | "query" | "wrongQuery" | "malformed";
export type Body =
  | { t: "none" }
  | { t: "payload"; payload: Payload; contentType: string | null }
  | { t: "form"; parts: { name: string; value: string | Payload }[]; contentType?: string }
  | { t: "rawForm"; boundary: string; text: string; contentType: string | null }
  | { t: "webhook"; payload: Payload; sign: "none" | "garbage" | "valid" | "stale" | "future" | "wrongSecret" | "badFormat" };

export type FuzzRequest = { route: string; method: string; path: string; auth: Auth; body: Body; headers: [string, string][] };

/** Header values must be ByteStrings without CR/LF, or the client (not the server) refuses them. */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, "?").slice(0, 4000);
/** Lone surrogates cannot be percent-encoded; replace them first. */
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
const enc = (s: string) => encodeURIComponent(wellFormed(s));

const segArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("candidate", "Candidate", "%20candidate%20", "job", "by_email") },
  { weight: 3, arbitrary: hostileString.map(enc) },
  { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%E0%A4%A", "..", ".", "%2e%2e", "%2F", "%00", "%C0%AF", "%ED%A0%80", "x".repeat(3000)) },
);
const queryValue = fc.oneof(hostileString.map(enc), fc.constantFrom("%", "%zz", "%E0%A4%A", "+", "%2B", ""));
function query(params: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const entries = Object.entries(params).map(([name, arb]) => fc.option(fc.oneof({ weight: 3, arbitrary: arb }, { weight: 1, arbitrary: queryValue }).map((v) => `${name}=${v}`), { nil: undefined }));
  return fc.tuple(fc.tuple(...entries), fc.array(fc.tuple(hostileString.map(enc), queryValue), { maxLength: 2 })).map(([known, extra]) => {
    const parts = [...known.filter((x): x is string => x !== undefined), ...extra.map(([k, v]) => `${k}=${v}`)];
    return parts.length ? `?${parts.join("&")}` : "";
  });
}
const num = (...xs: string[]) => fc.constantFrom(...xs);

const selectionArb: fc.Arbitrary<string | string[] | { list: number }> = fc.oneof(
  { weight: 3, arbitrary: num("1", "1-3", "1-8", "1,2", "2-2", "1-20", "1-600") },
  { weight: 4, arbitrary: num("1-999999999", "-1", "0", "1,1", "3-1", "a", " ", "", "1.5", "99999999999999999999", "1-2-3", "1,,2", "١", "1-", "-", "1 - 2", "0x1", "1e2", "9007199254740993", "1-9007199254740993", "2147483648") },
  { weight: 1, arbitrary: fc.array(num("1", "2", "1-2", "x", "-5"), { minLength: 2, maxLength: 4 }) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom({ list: 20_000 }, { list: 100_000 }) },
);

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 30, arbitrary: fc.constant("admin" as const) },
  { weight: 2, arbitrary: fc.constantFrom("planner" as const, "none" as const, "wrong" as const, "query" as const, "wrongQuery" as const, "malformed" as const) },
);
const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.tuple(fc.constant("Idempotency-Key"), fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant("k".repeat(201)), hostileString)),
    fc.tuple(fc.constantFrom("X-Request-Id", "X-Correlation-Id"), hostileString),
    fc.tuple(fc.constant("Accept"), fc.constantFrom("text/csv", "application/json", "text/json", "*/*", "text/html", "text/csv;q=0.1, application/json;q=0.9", "garbage/")),
  ),
  { maxLength: 2 },
).map((hs) => hs.map(([k, v]) => [k, headerSafe(v)] as [string, string]).filter(([, v]) => v.trim() !== ""));

const CONTENT_TYPES = ["application/json", "application/json; charset=utf-8", "text/plain", null, "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/vnd.api+json", "application/json; charset=utf-16"];
function jsonBody(obj: fc.Arbitrary<unknown>): fc.Arbitrary<Body> {
  const text = fc.oneof(
    { weight: 6, arbitrary: obj.map((o) => JSON.stringify(o) ?? "") },
    { weight: 1, arbitrary: obj.chain((o) => { const s = JSON.stringify(o) ?? ""; return fc.nat(s.length).map((i) => s.slice(0, i)); }) },
    { weight: 1, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? "") },
    { weight: 1, arbitrary: fc.constantFrom('{"__proto__":{"Key":"x"},"constructor":{"prototype":{"admin":true}}}', "{", "", "null", "[1,2", '{"Key":"a","Key":"b"}') },
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(text, fc.oneof({ weight: 5, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) })).map(([t, ct]) => ({ t: "payload" as const, payload: { t: "text" as const, text: t }, contentType: ct })) },
    { weight: 1, arbitrary: bytesArb.map((payload) => ({ t: "payload" as const, payload, contentType: "application/json" })) },
    { weight: 1, arbitrary: fc.record({ open: fc.constantFrom("[" as const, "{" as const), n: fc.constantFrom(64, 1000, 100_000), where: fc.constantFrom("root" as const, "jsonField" as const) }).map((d) => ({ t: "payload" as const, payload: { t: "deep" as const, ...d }, contentType: "application/json" })) },
  );
}

const FIELD_TYPES = ["string", "text", "integer", "number", "boolean", "date", "datetime", "email", "url", "phone", "enum"];
const fieldObj = fc.record(
  { Key: hostileString, Label: hostileScalar, Type: fc.oneof(fc.constantFrom(...FIELD_TYPES), hostileScalar), Required: fc.oneof(fc.boolean(), hostileScalar), MaxLength: hostileScalar, Options: fc.oneof(fc.array(hostileString, { maxLength: 3 }), hostileJson) },
  { requiredKeys: [] },
);
const definitionObj = fc.record(
  { Key: fc.oneof(hostileString, fc.constantFrom("job", "fuzzthing", "candidate")), DisplayNameSingular: hostileScalar, DisplayNamePlural: hostileScalar, Fields: fc.oneof(fc.array(fieldObj, { maxLength: 4 }), hostileJson) },
  { requiredKeys: [] },
);
const profileObj = fc.record(
  {
    Key: hostileScalar,
    Name: hostileScalar,
    ImportMode: fc.oneof(fc.constantFrom(0, 1, 2), hostileScalar),
    IdentityMode: fc.oneof(fc.constantFrom(0, 1, 2), hostileScalar),
    IdentityFieldKey: fc.oneof(fc.constantFrom("email", "first_name", "nope"), hostileScalar),
    FieldMap: fc.oneof(fc.dictionary(keyArb, fc.oneof(fc.constantFrom("email", "first_name"), hostileString), { maxKeys: 3 }), hostileJson),
    SkipUnchanged: fc.oneof(fc.boolean(), hostileScalar),
  },
  { requiredKeys: [] },
);
const exportObj = fc.record(
  {
    ProfileId: fc.oneof(fc.constant("by_email"), hostileScalar),
    SelectedInstanceIds: fc.oneof(fc.array(hostileString, { maxLength: 5 }), hostileJson),
    Query: fc.oneof(fc.record({ Page: hostileScalar, PageSize: hostileScalar }, { requiredKeys: [] }), hostileJson),
  },
  { requiredKeys: [] },
);

const importPath = (entity: string, op: "plan" | "apply") => `/api/workspace/entity/${entity}/data-transfer/import/json/${op}`;
const formArb: fc.Arbitrary<Body> = fc
  .record({
    profile: fc.option(fc.oneof({ weight: 5, arbitrary: fc.constant("by_email") }, { weight: 2, arbitrary: hostileString }), { nil: undefined, freq: 8 }),
    file: fc.option(packageArb, { nil: undefined, freq: 12 }),
    fileAsField: fc.boolean(),
    twoFiles: fc.boolean(),
    selection: fc.option(selectionArb, { nil: undefined, freq: 10 }),
    extra: fc.array(fc.tuple(hostileString, hostileString), { maxLength: 2 }),
    contentType: fc.option(fc.constantFrom("multipart/form-data", "multipart/form-data; boundary=nope", "application/json", "text/plain"), { nil: undefined, freq: 12 }),
  })
  .map(({ profile, file, fileAsField, twoFiles, selection, extra, contentType }) => {
    const parts: { name: string; value: string | Payload }[] = [];
    if (profile !== undefined) parts.push({ name: "ProfileId", value: profile });
    if (file !== undefined) {
      parts.push({ name: "File", value: fileAsField && file.t === "text" ? file.text : file });
      if (twoFiles) parts.push({ name: "File", value: { t: "text", text: '{"FormatVersion":1,"Records":[]}' } });
    }
    if (selection !== undefined) {
      if (typeof selection === "object" && !Array.isArray(selection)) parts.push({ name: "SelectedRowIndexes", value: { t: "text", text: Array.from({ length: selection.list }, (_, i) => i + 1).join(",") } });
      else for (const s of Array.isArray(selection) ? selection : [selection]) parts.push({ name: "SelectedRowIndexes", value: s });
    }
    for (const [k, v] of extra) parts.push({ name: k, value: v });
    return { t: "form" as const, parts, ...(contentType ? { contentType } : {}) };
  });

/** Hand-made multipart that a form parser must refuse, not crash on. */
const rawFormArb: fc.Arbitrary<Body> = fc
  .record({ cut: fc.nat(400), mode: fc.constantFrom("truncate", "noBoundary", "wrongBoundary", "lfOnly", "noName", "garbageHeaders", "nested"), file: packageArb.filter((p) => p.t === "text") })
  .map(({ cut, mode, file }) => {
    const b = "fuzzBoundary42";
    const text = [
      `--${b}`,
      'Content-Disposition: form-data; name="ProfileId"',
      "",
      "by_email",
      `--${b}`,
      mode === "noName" ? "Content-Disposition: form-data" : 'Content-Disposition: form-data; name="File"; filename="p.json"',
      mode === "garbageHeaders" ? "Content-Type: \u0000\u0001;;;=\r\nX: y" : "Content-Type: application/json",
      "",
      mode === "nested" ? `--${b}\r\nContent-Disposition: form-data; name="File"\r\n\r\n` : (file as { text: string }).text,
      `--${b}`,
      'Content-Disposition: form-data; name="SelectedRowIndexes"',
      "",
      "1",
      `--${b}--`,
      "",
    ].join(mode === "lfOnly" ? "\n" : "\r\n");
    const body = mode === "truncate" ? text.slice(0, Math.min(cut, text.length - 1)) : text;
    const contentType = mode === "noBoundary" ? "multipart/form-data" : mode === "wrongBoundary" ? "multipart/form-data; boundary=other" : `multipart/form-data; boundary=${b}`;
    return { t: "rawForm" as const, boundary: b, text: body, contentType };
  });

const webhookObj = fc.record(
  {
    deliveryId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), hostileScalar),
    event: fc.oneof(fc.constantFrom("application.created", "application.updated", "application.deleted"), hostileScalar),
    occurredAt: fc.oneof(fc.constant("2026-11-23T10:00:00.000Z"), hostileScalar),
    scopeId: fc.oneof(fc.constantFrom(1, 2), hostileScalar),
    // Never exactly one valid application: every fuzzed delivery must be refused (400), never imported.
    data: fc.oneof(
      fc.constant({ relationType: "job", relationId: "r1", applications: [] }),
      fc.record({ relationType: hostileScalar, relationId: hostileScalar, applications: fc.array(hostileJson, { minLength: 2, maxLength: 3 }) }, { requiredKeys: [] }),
      hostileJson,
    ),
  },
  { requiredKeys: [] },
);

export const requestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // JSON import: plan and apply (multipart), well-formed and not.
  {
    weight: 30,
    arbitrary: fc
      .record({ op: fc.constantFrom("plan" as const, "apply" as const), entity: fc.oneof({ weight: 6, arbitrary: fc.constant("candidate") }, { weight: 1, arbitrary: segArb }), body: fc.oneof({ weight: 6, arbitrary: formArb }, { weight: 1, arbitrary: rawFormArb }, { weight: 1, arbitrary: jsonBody(packageObj) }), auth: authArb, headers: extraHeaders })
      .map(({ op, entity, body, auth, headers }) => ({ route: `import.${op}`, method: "POST", path: importPath(entity, op), auth, body, headers })),
  },
  {
    weight: 6,
    arbitrary: fc.record({ body: jsonBody(definitionObj), auth: authArb, headers: extraHeaders }).map(({ body, auth, headers }) => ({ route: "definitions.create", method: "POST", path: "/api/workspace/entity-definitions", auth, body, headers })),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ entity: fc.oneof(fc.constantFrom("candidate", "job"), segArb), body: jsonBody(definitionObj), auth: authArb, headers: extraHeaders })
      .map(({ entity, body, auth, headers }) => ({ route: "definitions.change", method: "PUT", path: `/api/workspace/entity-definitions/${entity}`, auth, body, headers })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ entity: segArb, auth: authArb }).map(({ entity, auth }) => ({ route: "definitions.get", method: "GET", path: `/api/workspace/entity-definitions/${entity}`, auth, body: { t: "none" as const }, headers: [] })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({ entity: fc.oneof({ weight: 3, arbitrary: fc.constant("candidate") }, { weight: 1, arbitrary: segArb }), body: jsonBody(profileObj), auth: authArb, headers: extraHeaders })
      .map(({ entity, body, auth, headers }) => ({ route: "profiles.create", method: "POST", path: `/api/workspace/entity/${entity}/data-transfer/profiles`, auth, body, headers })),
  },
  {
    weight: 2,
    arbitrary: fc.record({ entity: segArb, profile: segArb, auth: authArb }).map(({ entity, profile, auth }) => ({ route: "profiles.get", method: "GET", path: `/api/workspace/entity/${entity}/data-transfer/profiles/${profile}`, auth, body: { t: "none" as const }, headers: [] })),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({ entity: fc.oneof({ weight: 3, arbitrary: fc.constant("candidate") }, { weight: 1, arbitrary: segArb }), body: jsonBody(exportObj), auth: authArb, headers: extraHeaders })
      .map(({ entity, body, auth, headers }) => ({ route: "export", method: "POST", path: `/api/workspace/entity/${entity}/data-transfer/export/json`, auth, body, headers })),
  },
  {
    weight: 8,
    arbitrary: fc
      .record({
        entity: fc.oneof({ weight: 3, arbitrary: fc.constant("candidate") }, { weight: 1, arbitrary: segArb }),
        id: fc.option(fc.oneof(segArb, fc.constant("legacy-1")), { nil: undefined }),
        history: fc.boolean(),
        q: query({ limit: num("1", "1000", "1001", "0", "-1", "abc", "1e3", "1.5"), cursor: num("", "bGVnYWN5LTE", "!!!", "%FF%FE", "YQ"), asOf: num("1", "0", "99999999999999999999999", "2026-01-01T00:00:00Z", "2026-02-30", "yesterday", "-1") }),
        auth: authArb,
      })
      .map(({ entity, id, history, q, auth }) => ({
        route: id === undefined ? "instances.list" : history ? "instances.history" : "instances.get",
        method: "GET",
        path: `/api/workspace/entity/${entity}/instances${id === undefined ? "" : `/${id}${history ? "/history" : ""}`}${q}`,
        auth,
        body: { t: "none" as const },
        headers: [],
      })),
  },
  {
    weight: 7,
    arbitrary: fc
      .oneof(
        query({ after: num("0", "-1", "1e400", "abc", "9007199254740993", "5"), limit: num("1", "1000", "1001", "0", "x"), streamId: hostileString.map(enc), type: num("ImportApplied", "InstanceCreated", "x") }).map((q) => ({ route: "audit.events", path: `/api/audit/events${q}` })),
        query({ kind: num("plan", "apply", "hokify", "PLAN", "x"), entity: num("candidate", "nope"), from: num("2026-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00Z", "yesterday"), to: num("2026-01-01T00:00:00Z", "x"), limit: num("1", "0", "1001") }).map((q) => ({ route: "audit.imports", path: `/api/audit/imports${q}` })),
        segArb.map((s) => ({ route: "audit.run", path: `/api/audit/imports/${s}` })),
      )
      .chain((r) => authArb.map((auth) => ({ ...r, method: "GET", auth, body: { t: "none" as const }, headers: [] as [string, string][] }))),
  },
  {
    weight: 7,
    arbitrary: fc
      .oneof(
        query({ scopeId: num("1", "0", "-1", "abc", "2147483648", "1.5", "1e3", " 1", ""), importMode: num("Incremental", "Full", "0", "1", "full", "2", "incremental ", "FULL", ""), unixSecondsFrom: num("0", "1748592902.117", "253402300799", "253402300800", "-1", "1e10", "abc", "99999999999999", "1.1234567891") }).map((q) => ({
          route: "hokify.import",
          path: `/api/ExportImport/HokifyImport${q}`,
        })),
        query({ scopeId: num("1", "0", "x", "99999999999"), from: num("2026-01-01T00:00:00Z", "1700000000", "99999999999", "2026-99-99", "x", "1e3"), to: num("2026-12-01T00:00:00Z", "253402300800", "x") }).map((q) => ({ route: "hokify.results", path: `/api/ExportImport/results${q}` })),
        segArb.map((s) => ({ route: "hokify.report", path: `/api/ExportImport/runs/${s}/report` })),
      )
      .chain((r) => fc.tuple(authArb, extraHeaders).map(([auth, headers]) => ({ ...r, method: "GET", auth, body: { t: "none" as const }, headers }))),
  },
  {
    weight: 10,
    arbitrary: fc
      .record({
        payload: fc.oneof(
          { weight: 6, arbitrary: webhookObj.map((o) => ({ t: "text" as const, text: JSON.stringify(o) })) },
          { weight: 1, arbitrary: hostileJson.map((v) => ({ t: "text" as const, text: JSON.stringify(v) ?? "" })) },
          { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((text) => ({ t: "text" as const, text })) },
          { weight: 1, arbitrary: fc.record({ open: fc.constantFrom("[" as const, "{" as const), n: fc.constantFrom(1000, 100_000) }).map((d) => ({ t: "deep" as const, where: "root" as const, ...d })) },
        ),
        sign: fc.constantFrom("none" as const, "garbage" as const, "valid" as const, "valid" as const, "valid" as const, "stale" as const, "future" as const, "wrongSecret" as const, "badFormat" as const),
      })
      .map(({ payload, sign }) => ({ route: "hokify.webhook", method: "POST", path: "/api/ExportImport/HokifyImport/webhook", auth: "none" as const, body: { t: "webhook" as const, payload, sign }, headers: [] })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        method: fc.constantFrom("GET", "DELETE", "PATCH", "PUT", "POST", "OPTIONS"),
        path: fc.constantFrom(
          "/api/workspace/entity/candidate/data-transfer/import/json/apply",
          "/api/workspace/entity-definitions/candidate",
          "/api/nothing",
          "/api/admin/replay?swap=maybe",
          "/api/admin/replay?swap=",
          "/api/../health",
          "/api/workspace/entity/candidate/instances/x/y/z",
          "/api//workspace//entity-definitions",
        ),
        auth: authArb,
      })
      .map(({ method, path, auth }) => ({ route: "misc", method, path, auth, body: { t: "none" as const }, headers: [] })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        target: fc.constantFrom(importPath("candidate", "plan"), "/api/workspace/entity-definitions", "/api/ExportImport/HokifyImport/webhook"),
        n: fc.constantFrom(FUZZ_MAX_UPLOAD + 1, FUZZ_MAX_UPLOAD * 2),
      })
      .map(({ target, n }) => ({
        route: "oversize",
        method: "POST",
        path: target,
        auth: "admin" as const,
        body: target.includes("plan") ? { t: "form" as const, parts: [{ name: "ProfileId", value: "by_email" }, { name: "File", value: { t: "oversize" as const, n } }] } : { t: "payload" as const, payload: { t: "oversize" as const, n }, contentType: "application/json" },
        headers: [],
      })),
  },
);

// ---------------------------------------------------------------- building and checking

export type BuiltRequest = { method: string; url: string; headers: Headers; body?: string | Uint8Array<ArrayBuffer> | FormData };

export function materialize(req: FuzzRequest, base: string, nowSeconds: number): BuiltRequest {
  const headers = new Headers();
  let path = req.path;
  if (req.auth === "admin") headers.set("authorization", `Bearer ${FUZZ_ADMIN}`);
  else if (req.auth === "planner") headers.set("authorization", `Bearer ${FUZZ_PLANNER}`);
  else if (req.auth === "wrong") headers.set("authorization", `Bearer ${FUZZ_ADMIN.slice(0, -1)}X`);
  else if (req.auth === "malformed") headers.set("authorization", "Basic YWRtaW46YWRtaW4=");
  else if (req.auth === "query" || req.auth === "wrongQuery") path += `${path.includes("?") ? "&" : "?"}access_token=${req.auth === "query" ? FUZZ_ADMIN : "not-a-token-0123456789"}`;
  for (const [k, v] of req.headers) headers.set(k, v);

  let body: BuiltRequest["body"];
  const b = req.body;
  if (b.t === "payload") {
    body = payloadBytes(b.payload);
    if (b.contentType) headers.set("content-type", b.contentType);
  } else if (b.t === "form") {
    const form = new FormData();
    for (const p of b.parts) {
      if (typeof p.value === "string") form.append(p.name, wellFormed(p.value));
      else {
        const bytes = payloadBytes(p.value);
        form.append(p.name, new Blob([bytes]), "package.json");
      }
    }
    body = form;
    if (b.contentType) headers.set("content-type", b.contentType);
  } else if (b.t === "rawForm") {
    body = b.text;
    if (b.contentType) headers.set("content-type", b.contentType);
  } else if (b.t === "webhook") {
    const raw = payloadBytes(b.payload);
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    body = text;
    headers.set("content-type", "application/json");
    const ts = b.sign === "stale" ? nowSeconds - 301 : b.sign === "future" ? nowSeconds + 301 : nowSeconds;
    const sig = createHmac("sha256", b.sign === "wrongSecret" ? "another-secret-0123456789" : FUZZ_WEBHOOK_SECRET).update(`${ts}.${text}`).digest("hex");
    if (b.sign === "garbage") (headers.set("x-hokify-timestamp", "yesterday"), headers.set("x-hokify-signature", "sha256=zz"));
    else if (b.sign === "badFormat") (headers.set("x-hokify-timestamp", String(ts)), headers.set("x-hokify-signature", sig));
    else if (b.sign !== "none") (headers.set("x-hokify-timestamp", String(ts)), headers.set("x-hokify-signature", `sha256=${sig}`));
  }
  return { method: req.method, url: base + path, headers, body };
}

const isIssue = (i: unknown): boolean => {
  if (!i || typeof i !== "object") return false;
  const x = i as Record<string, unknown>;
  const known = IssueTypes[x.Code as keyof typeof IssueTypes];
  return (
    Number.isInteger(x.Type) &&
    typeof x.Code === "string" &&
    (!known || (known.type === x.Type && known.severity === x.Severity && known.category === x.Category)) &&
    (x.Severity === 0 || x.Severity === 1) &&
    Number.isInteger(x.Category) &&
    (x.Category as number) >= 0 &&
    (x.Category as number) <= 4 &&
    typeof x.Message === "string" &&
    (x.FieldKey === null || typeof x.FieldKey === "string") &&
    (x.RowIndex === null || Number.isInteger(x.RowIndex))
  );
};

/** What is wrong with an answer (empty when nothing is). */
export function checkAnswer(status: number, contentType: string, text: string): string[] {
  const wrong: string[] = [];
  if (status >= 500) wrong.push(`status ${status}`);
  if (status < 400) return wrong;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return [...wrong, `a ${status} answer that is not JSON (${contentType}): ${text.slice(0, 200)}`];
  }
  const o = body as Record<string, unknown>;
  if (contentType.startsWith("application/problem+json")) {
    for (const k of ["type", "title", "detail", "instance"]) if (typeof o[k] !== "string") wrong.push(`problem details without a string '${k}'`);
    if (o.status !== status) wrong.push(`problem details status ${o.status} != ${status}`);
    if (typeof o.instance === "string" && !o.instance.startsWith("/")) wrong.push("problem instance is not a path");
  } else if (contentType.startsWith("application/json")) {
    if (o.Data !== null) wrong.push("a 4xx envelope whose Data is not null");
    if (!Array.isArray(o.Errors) || o.Errors.length === 0 || !o.Errors.every(isIssue)) wrong.push(`a 4xx envelope without valid Errors: ${JSON.stringify(o.Errors)?.slice(0, 300)}`);
    if (!Array.isArray(o.Warnings) || !o.Warnings.every(isIssue)) wrong.push("a 4xx envelope without valid Warnings");
    const keys = Object.keys(o).sort().join(",");
    if (keys !== "Data,Errors,Warnings") wrong.push(`envelope keys ${keys}`);
  } else wrong.push(`a ${status} answer of type '${contentType}'`);
  // Requests echo their own input (an injection string in a 404 message is fine); a stack frame or
  // the database's own error text is not.
  if (/\bat [\w.<>$]+ \(|node:internal|\.[cm]?[jt]s:\d+:\d+|SQLITE_[A-Z]+|LibsqlError|SqliteError|no such (table|column)|constraint failed/.test(text))
    wrong.push(`a ${status} body that shows a stack or database error: ${text.slice(0, 300)}`);
  return wrong;
}

/** A short description of a request for failure messages (bodies summarized). */
export function describe(req: FuzzRequest): string {
  const b = req.body;
  const payload = (p: Payload) => (p.t === "text" ? JSON.stringify(p.text.slice(0, 300)) : p.t === "bytes" ? `bytes[${p.bytes.length}]` : JSON.stringify(p));
  const body =
    b.t === "none" ? "" : b.t === "payload" ? ` ${b.contentType} ${payload(b.payload)}` : b.t === "form" ? ` form{${b.parts.map((p) => `${p.name}=${typeof p.value === "string" ? JSON.stringify(p.value.slice(0, 80)) : payload(p.value)}`).join(", ")}}${b.contentType ? ` (${b.contentType})` : ""}` : b.t === "rawForm" ? ` raw multipart ${JSON.stringify(b.text.slice(0, 200))}` : ` webhook(${b.sign}) ${payload(b.payload)}`;
  return `${req.method} ${req.path.slice(0, 300)} [${req.auth}]${req.headers.length ? ` ${JSON.stringify(req.headers)}` : ""}${body}`;
}

export type FuzzStats = { requests: number; byStatus: Record<string, number>; byRoute: Record<string, number>; rejected: number; envelopes: number; problems: number; eventsWrittenByAccepted: number; durationMs: number };
export const emptyStats = (): FuzzStats => ({ requests: 0, byStatus: {}, byRoute: {}, rejected: 0, envelopes: 0, problems: 0, eventsWrittenByAccepted: 0, durationMs: 0 });

export type Sender = (req: BuiltRequest) => Promise<{ status: number; contentType: string; text: string }>;

/**
 * Runs `runs` generated requests through `send`, one at a time, checking each answer and that a
 * rejected request (4xx) wrote no event (`logHead` is the log's last position). Throws on the
 * first violation with the request that caused it.
 */
export async function fuzz(opts: { runs: number; seed: number; base: string; send: Sender; logHead: () => Promise<number>; afterAccepted?: (req: FuzzRequest) => Promise<void>; stats?: FuzzStats }): Promise<FuzzStats> {
  const stats = opts.stats ?? emptyStats();
  const started = performance.now();
  let previous = "(none)";
  const recent: string[] = [];
  await fc.assert(
    fc.asyncProperty(requestArb, async (req) => {
      const before = await opts.logHead();
      const built = materialize(req, opts.base, Math.floor(Date.now() / 1000));
      let res: Awaited<ReturnType<Sender>>;
      try {
        res = await opts.send(built);
      } catch (e) {
        throw new Error(`${(e as Error).message}\n  request: ${describe(req)}\n  previous request: ${previous}\n  recent: ${recent.join("\n   ")}`);
      }
      previous = describe(req);
      recent.push(`${Math.round(performance.now())} ${res.status} ${previous.slice(0, 150)}`);
      if (recent.length > 8) recent.shift();
      if (res.status < 400 && opts.afterAccepted) await opts.afterAccepted(req);
      const after = await opts.logHead();
      stats.requests++;
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      stats.byRoute[req.route] = (stats.byRoute[req.route] ?? 0) + 1;
      const wrong = checkAnswer(res.status, res.contentType, res.text);
      if (res.status >= 400) {
        stats.rejected++;
        if (res.contentType.startsWith("application/problem+json")) stats.problems++;
        else stats.envelopes++;
        if (after !== before) wrong.push(`a rejected request (${res.status}) wrote ${after - before} event(s)`);
      } else stats.eventsWrittenByAccepted += after - before;
      if (wrong.length) throw new Error(`${wrong.join("; ")}\n  request: ${describe(req)}\n  answer: ${res.status} ${res.contentType} ${res.text.slice(0, 600)}`);
    }),
    { numRuns: opts.runs, seed: opts.seed, endOnFailure: true, includeErrorInReport: true },
  );
  stats.durationMs += Math.round(performance.now() - started);
  return stats;
}
