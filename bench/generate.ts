import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { once } from "node:events";

/**
 * Deterministic candidate packages. Every record is a pure function of its key, so the files,
 * the raw reference and the Emmett reference all write the same rows without sharing memory.
 *
 * The measured package of N rows cycles through a fixed pattern of 20 kinds: 12 new (60 %),
 * 4 changed (20 %), 3 unchanged (15 %), 1 error (5 %). Changed and unchanged rows hit keys
 * 0…E-1, which the seed package (the "prefix") creates before the measured phases run.
 */

export const ENTITY_KEY = "candidate";
export const PROFILE_KEY = "by_email";

export const DEFINITION = {
  Key: ENTITY_KEY,
  DisplayNameSingular: "Candidate",
  DisplayNamePlural: "Candidates",
  Fields: [
    { Key: "email", Label: "E-mail", Type: "email", Required: true },
    { Key: "first_name", Label: "First name", Type: "string", Required: true, MaxLength: 100 },
    { Key: "last_name", Label: "Last name", Type: "string", Required: true, MaxLength: 100 },
    { Key: "phone", Label: "Phone", Type: "phone" },
    { Key: "city", Label: "City", Type: "string", MaxLength: 100 },
    { Key: "status", Label: "Status", Type: "enum", Options: ["new", "screening", "interview", "offer", "hired", "rejected"] },
    { Key: "score", Label: "Score", Type: "integer" },
    { Key: "applied_at", Label: "Applied at", Type: "datetime" },
    { Key: "summary", Label: "Summary", Type: "text", MaxLength: 2000 },
  ],
};

export const PROFILE = { Key: PROFILE_KEY, Name: "Match on e-mail", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email" };

export type RowKind = "new" | "changed" | "unchanged" | "error";
export type BenchRow = { kind: RowKind; key: number; fields: Record<string, unknown> };

/** 12 new, 4 changed, 3 unchanged, 1 error, interleaved. */
const PATTERN: RowKind[] = (
  "N C N U N N C N E N U N C N N U N C N N"
    .split(" ")
    .map((c) => ({ N: "new", C: "changed", U: "unchanged", E: "error" })[c] as RowKind)
);

const FIRST = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hannes", "Ines", "Jakob", "Katharina", "Lukas", "Mira", "Noah", "Olivia", "Paul"];
const LAST = ["Gruber", "Huber", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer", "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Fischer"];
const CITY = ["Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt", "Villach", "Wels", "St. Pölten", "Dornbirn"];
const STATUS = ["new", "screening", "interview", "offer", "hired", "rejected"];
const WORDS = "experienced motivated team player with background in sales logistics software support nursing retail hospitality finance and customer care".split(" ");

/** mulberry32: a tiny seeded PRNG, so a key always yields the same record. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stored (already normalized) values of candidate `key`: ~8 fields, ~300 bytes as JSON. */
export function baseFields(key: number): Record<string, unknown> {
  const r = rng(key * 2654435761);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const words: string[] = [];
  while (words.join(" ").length < 75) words.push(pick(WORDS));
  return {
    email: `candidate.${key}@example-mail.at`,
    first_name: pick(FIRST),
    last_name: pick(LAST),
    phone: `+43 660 ${String(Math.floor(r() * 1e7)).padStart(7, "0")}`,
    city: pick(CITY),
    status: pick(STATUS),
    score: Math.floor(r() * 101),
    applied_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 300 * 86400) * 1000).toISOString(),
    summary: words.join(" "),
  };
}

/** A changed row: two fields differ from the seeded state. */
function changedFields(key: number): Record<string, unknown> {
  const f = baseFields(key);
  return { ...f, status: STATUS[(STATUS.indexOf(f.status as string) + 1) % STATUS.length], score: ((f.score as number) + 1) % 101 };
}

/** An error row: a new identity with one invalid value, four kinds in turn. */
function errorFields(key: number, nth: number): Record<string, unknown> {
  const f = baseFields(key);
  switch (nth % 4) {
    case 0:
      return { ...f, score: "n/a" };
    case 1:
      return { ...f, first_name: "X".repeat(101) };
    case 2:
      return { ...f, status: "unknown-status" };
    default:
      return { ...f, last_name: null };
  }
}

export type PackagePlan = { size: number; existing: number; counts: Record<RowKind, number> };

/** How many rows of each kind a package of `size` rows has, and how many keys the seed must create. */
export function planPackage(size: number): PackagePlan {
  const counts: Record<RowKind, number> = { new: 0, changed: 0, unchanged: 0, error: 0 };
  for (let i = 0; i < size; i++) counts[PATTERN[i % PATTERN.length]!]++;
  return { size, existing: counts.changed + counts.unchanged, counts };
}

/** The measured package's rows, in file order. */
export function* packageRows(size: number): Generator<BenchRow> {
  const { existing } = planPackage(size);
  let nextExisting = 0;
  let nextNew = existing;
  let errors = 0;
  for (let i = 0; i < size; i++) {
    const kind = PATTERN[i % PATTERN.length]!;
    if (kind === "changed") {
      const key = nextExisting++;
      yield { kind, key, fields: changedFields(key) };
    } else if (kind === "unchanged") {
      const key = nextExisting++;
      yield { kind, key, fields: baseFields(key) };
    } else if (kind === "error") {
      const key = nextNew++;
      yield { kind, key, fields: errorFields(key, errors++) };
    } else {
      const key = nextNew++;
      yield { kind, key, fields: baseFields(key) };
    }
  }
}

/** The seed package: the state before the measured package (keys 0…existing-1, as created). */
export function* seedRows(size: number): Generator<BenchRow> {
  const { existing } = planPackage(size);
  for (let key = 0; key < existing; key++) yield { kind: "new", key, fields: baseFields(key) };
}

/** Streams a package file (SPEC §3) of `rows` to `path`; returns its byte size and row count. */
export async function writePackage(path: string, rows: Iterable<BenchRow>): Promise<{ path: string; bytes: number; rows: number }> {
  const out = createWriteStream(path);
  const head = { FormatVersion: 1, ExportedAtUtc: "2026-11-23T00:00:00.000Z", Entity: { Key: ENTITY_KEY }, Profile: { Key: PROFILE_KEY } };
  let buf = `${JSON.stringify(head).slice(0, -1)},"Records":[`;
  let count = 0;
  for (const row of rows) {
    buf += (count++ ? ",\n" : "\n") + JSON.stringify({ Fields: row.fields });
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, "drain");
      buf = "";
    }
  }
  out.end(`${buf}\n]}\n`);
  await once(out, "finish");
  return { path, bytes: (await stat(path)).size, rows: count };
}
