import { importRunRows } from "../../src/services/audit.service.js";

/** Every row of a plan or apply run, paged the way its RowsUrl is. */
export async function allRunRows(deps: Parameters<typeof importRunRows>[0], runId: string, limit = 5_000): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let after: number | null = 0; after !== null; ) {
    const r = await importRunRows(deps, { runId, after, limit });
    if (!r.ok) throw new Error(`no rows for run ${runId}`);
    out.push(...r.page.Items);
    after = r.page.NextAfter;
  }
  return out;
}
