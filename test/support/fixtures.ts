import type { TestServer } from "./server.js";

export const CANDIDATE = {
  Key: "Candidate",
  DisplayNameSingular: "Candidate",
  DisplayNamePlural: "Candidates",
  Fields: [
    { Key: "email", Label: "E-mail", Type: "email", Required: true },
    { Key: "first_name", Label: "First name", Type: "string", MaxLength: 20 },
    { Key: "last_name", Label: "Last name", Type: "string" },
    { Key: "age", Label: "Age", Type: "integer" },
    { Key: "stage", Label: "Stage", Type: "enum", Options: ["new", "interview", "hired"] },
  ],
};

/** 1,000 candidates `person<i>@example.at`, the state the next package meets. */
export const seededPeople = () => Array.from({ length: 1000 }, (_, i) => ({ Fields: { email: `person${i}@example.at`, first_name: `P${i}`, last_name: "L", age: i % 90 } }));

/**
 * 9,000 records (five chunks) against seededPeople: creates, updates and unchanged rows; every 7th
 * row repeats an identity from ~2,100 rows before (another chunk), every 500th has a bad age.
 */
export const mixedRecords = () =>
  Array.from({ length: 9_000 }, (_, k) => {
    const i = k + 1;
    const who = i % 7 === 0 && i > 2100 ? i - 2100 : i;
    const fields: Record<string, unknown> = { email: who <= 1000 ? `person${who - 1}@example.at` : `new${who}@example.at`, first_name: `P${who - 1}`, last_name: "L" };
    if (who <= 1000) fields.age = i % 3 === 0 ? 99 : (who - 1) % 90;
    if (i % 500 === 0) fields.age = "not a number";
    return { Fields: fields };
  });

export const BY_EMAIL = { Key: "by_email", Name: "Match on e-mail", ImportMode: 0, IdentityMode: 0, IdentityFieldKey: "email" };

export const paths = {
  plan: (e = "candidate") => `/api/workspace/entity/${e}/data-transfer/import/json/plan`,
  apply: (e = "candidate") => `/api/workspace/entity/${e}/data-transfer/import/json/apply`,
  export: (e = "candidate") => `/api/workspace/entity/${e}/data-transfer/export/json`,
  profiles: (e = "candidate") => `/api/workspace/entity/${e}/data-transfer/profiles`,
  instances: (e = "candidate") => `/api/workspace/entity/${e}/instances`,
  definitions: "/api/workspace/entity-definitions",
};

export function pkg(records: { InstanceId?: string | null; RowVersion?: string | null; Fields: Record<string, unknown> }[], entityKey = "candidate") {
  return { FormatVersion: 1, ExportedAtUtc: "2026-02-04T06:23:58.000Z", Entity: { Key: entityKey }, Records: records };
}

/** A workspace with the candidate definition and the by_email profile. */
export async function seedCandidate(server: Pick<TestServer, "api">) {
  const def = await server.api.post(paths.definitions, CANDIDATE);
  if (def.status !== 201) throw new Error(`seed definition: ${def.status} ${def.text}`);
  const prof = await server.api.post(paths.profiles(), BY_EMAIL);
  if (prof.status !== 201) throw new Error(`seed profile: ${prof.status} ${prof.text}`);
  return { definition: def.body.Data, profile: prof.body.Data };
}
