import type { Rng } from "./random.js";

/**
 * Sandbox data in Hokify's wire shape (docs/hokify.md §2). Typed here on purpose rather than
 * imported from src/hokify/schemas.ts: the sandbox is an independent check on the client.
 */

export interface SandboxRelation {
  relationType: "job" | "company";
  relationId: string;
  sourceId: string;
  jobTitle?: string;
  companyName: string;
}

export interface SandboxUser {
  _id: string;
  displayName: string;
  general: { firstName: string; lastName: string; email: string; phone: string };
}

export interface SandboxApplication {
  _id: string;
  contactStage: string;
  createdAt: string;
  updatedAt: string;
  user: SandboxUser;
  source: string;
  cvUrl?: string;
  message?: string;
}

/** One application with the relation it belongs to; the sandbox's unit of storage. */
export interface SandboxRecord {
  relation: SandboxRelation;
  application: SandboxApplication;
}

const FIRST_NAMES = [
  "Anna", "Lena", "Sophie", "Marie", "Laura", "Julia", "Sarah", "Katharina", "Hannah", "Elif",
  "Zoë", "Jana", "Ivana", "Lukas", "Tobias", "Florian", "David", "Maximilian", "Jonas", "Felix",
  "Stefan", "Michael", "Andreas", "Jürgen", "Mehmet", "Aleksandar", "Tomáš", "Patrick", "René", "Dominik",
] as const;

const LAST_NAMES = [
  "Gruber", "Huber", "Bauer", "Wagner", "Müller", "Pichler", "Steiner", "Moser", "Mayer", "Hofer",
  "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Winkler", "Weber", "Schwarz", "Maier",
  "Schneider", "Reiter", "Mayr", "Schmidt", "Wimmer", "Egger", "Brunner", "Lang", "Baumgartner", "Öztürk",
  "Novak", "Horvat", "Kovačević", "Yılmaz", "Weiß",
] as const;

const JOB_TITLES = [
  "Koch/Köchin", "Verkäufer/in", "Lagerarbeiter/in", "Kellner/in", "Reinigungskraft", "Rezeptionist/in",
  "Pflegeassistent/in", "Elektriker/in", "Staplerfahrer/in", "Bürokaufmann/-frau", "Filialleiter/in",
  "Barista", "Zusteller/in", "Installateur/in", "Friseur/in", "Kassierer/in", "Servicetechniker/in",
  "Lehrling Einzelhandel", "Küchenhilfe", "Produktionsmitarbeiter/in",
] as const;

const COMPANIES = [
  "Alpenblick Hotel GmbH", "Donau Logistik AG", "Bäckerei Stöckl", "Grünraum Handels GmbH",
  "Murtal Bau GmbH", "Café Zentral Betriebs GmbH", "Pflegezentrum Am Kahlenberg", "Elektro Wallner KG",
  "Sportwelt Tirol GmbH", "Feinkost Haller", "Stadtwerke Südost", "TechServ Austria GmbH",
] as const;

const STAGES = ["applied", "applied", "applied", "viewed", "viewed", "shortlisted", "interview", "hired", "rejected"] as const;
const SOURCES = ["hokify", "hokify", "hokify", "hokify-app", "active-sourcing"] as const;
const MESSAGES = [
  "Ich freue mich auf Ihre Rückmeldung!",
  "Ich kann ab sofort beginnen.",
  "Ich habe 3 Jahre Erfahrung in dieser Branche.",
  "Teilzeit wäre mir am liebsten.",
] as const;
// Reserved for documentation (RFC 2606): generated addresses can never reach a real person.
const MAIL_DOMAINS = ["example.com", "example.net", "example.org"] as const;
const DAY_MS = 86_400_000;

/** Mongo-style id: 4 bytes of seconds then 8 random bytes, so ids roughly follow creation time. */
export function objectId(rng: Rng, atMs: number): string {
  return Math.floor(atMs / 1000).toString(16).padStart(8, "0").slice(-8) + rng.hex(16);
}

export function generateRelations(rng: Rng, count: number, epochMs: number): SandboxRelation[] {
  return Array.from({ length: count }, (_, i) => {
    const companyName = rng.pick(COMPANIES);
    const relationId = objectId(rng, epochMs - rng.int(150, 400) * DAY_MS);
    // Roughly one in five is an unsolicited application to a company rather than to a job ad.
    return rng.chance(0.2)
      ? { relationType: "company", relationId, sourceId: `CMP-${100 + i}`, companyName }
      : { relationType: "job", relationId, sourceId: `JOB-${1000 + i}`, jobTitle: rng.pick(JOB_TITLES), companyName };
  });
}

export function createCandidate(rng: Rng, atMs: number): SandboxUser {
  const firstName = rng.pick(FIRST_NAMES);
  const lastName = rng.pick(LAST_NAMES);
  const local = rng.pick([
    `${mailSafe(firstName)}.${mailSafe(lastName)}`,
    `${mailSafe(firstName)}.${mailSafe(lastName)}${rng.int(1, 99)}`,
    `${mailSafe(firstName)[0]}.${mailSafe(lastName)}`,
    `${mailSafe(lastName)}${rng.int(70, 99)}`,
  ]);
  const phone = rng.chance(0.85)
    ? `+43 ${rng.pick(["650", "660", "664", "676", "699"])} ${rng.int(1_000_000, 9_999_999)}`
    : `+49 ${rng.pick(["151", "160", "170", "176"])} ${rng.int(10_000_000, 99_999_999)}`;
  return {
    _id: objectId(rng, atMs),
    displayName: `${firstName} ${lastName}`,
    general: { firstName, lastName, email: `${local}@${rng.pick(MAIL_DOMAINS)}`, phone },
  };
}

export function createApplication(
  rng: Rng,
  user: SandboxUser,
  createdAtMs: number,
  updatedAtMs: number,
): SandboxApplication {
  const _id = objectId(rng, createdAtMs);
  const application: SandboxApplication = {
    _id,
    contactStage: updatedAtMs === createdAtMs ? "applied" : rng.pick(STAGES),
    createdAt: new Date(createdAtMs).toISOString(),
    updatedAt: new Date(updatedAtMs).toISOString(),
    user: structuredClone(user),
    source: rng.pick(SOURCES),
  };
  if (rng.chance(0.6)) application.cvUrl = `https://files.sandbox.hokify.invalid/cv/${_id}.pdf`;
  if (rng.chance(0.4)) application.message = rng.pick(MESSAGES);
  return application;
}

/** A later change as Hokify would record it: new stage (sometimes a new phone), updatedAt = now. */
export function touchApplication(rng: Rng, application: SandboxApplication, nowMs: number): void {
  const stages = STAGES.filter((s) => s !== application.contactStage);
  application.contactStage = rng.pick(stages);
  if (rng.chance(0.2)) application.user.general.phone = `+43 660 ${rng.int(1_000_000, 9_999_999)}`;
  application.updatedAt = new Date(nowMs).toISOString();
}

export function generateRecords(
  rng: Rng,
  relations: readonly SandboxRelation[],
  count: number,
  epochMs: number,
): { records: SandboxRecord[]; candidates: SandboxUser[] } {
  const candidates: SandboxUser[] = [];
  const records: SandboxRecord[] = [];
  for (let i = 0; i < count; i++) {
    const createdAtMs = epochMs - rng.int(1, 120 * DAY_MS);
    const updatedAtMs = rng.chance(0.3) ? createdAtMs : Math.min(epochMs - 1, createdAtMs + rng.int(1, 14 * DAY_MS));
    const record = newRecord(rng, relations, candidates, records, createdAtMs, updatedAtMs);
    records.push(record);
  }
  return { records, candidates };
}

/** Reuses an existing candidate about a quarter of the time: people apply to several jobs. */
export function newRecord(
  rng: Rng,
  relations: readonly SandboxRelation[],
  candidates: SandboxUser[],
  existing: readonly SandboxRecord[],
  createdAtMs: number,
  updatedAtMs: number,
): SandboxRecord {
  let user: SandboxUser | undefined;
  if (candidates.length > 0 && rng.chance(0.25)) user = rng.pick(candidates);
  if (!user) {
    user = createCandidate(rng, createdAtMs);
    candidates.push(user);
  }
  const applied = new Set(existing.filter((r) => r.application.user._id === user._id).map((r) => r.relation.relationId));
  const open = relations.filter((r) => !applied.has(r.relationId));
  const relation = rng.pick(open.length > 0 ? open : relations);
  return { relation, application: createApplication(rng, user, createdAtMs, updatedAtMs) };
}

function mailSafe(name: string): string {
  return name
    .toLowerCase()
    .replace(/ä/g, "ae")
    .replace(/ö/g, "oe")
    .replace(/ü/g, "ue")
    .replace(/ß/g, "ss")
    .normalize("NFD")
    .replace(/[^a-z]/g, "");
}
