import type { EntityDefinition, Profile } from "../schemas/definitions.js";

/**
 * What reading a whole package found that depends on nothing but its bytes and the target's
 * identity rules: it parses (every chunk), how many records it holds, and which rows repeat an
 * identity. An apply must know all of it before its first write; a plan of the same file just
 * found it. Remembered, an apply of a package planned before (the service's own workflow: plan,
 * look, apply) starts writing while it reads the file, instead of reading it twice.
 */
export type ScanFacts = { count: number; duplicates: Uint32Array };

export type ScanMemo = { get(key: string): ScanFacts | undefined; set(key: string, found: { count: number; duplicates: ReadonlySet<number> }): void };

/**
 * The key: the file's SHA-256 and the versions of the definition (field types normalize the
 * identity) and of the profile (identity mode, field and field map), both bumped at every change.
 */
export const scanKey = (sha256: string, target: { definition: EntityDefinition; profile: Profile }) =>
  `${sha256}|${target.definition.Id}@${target.definition.Version}|${target.profile.Id}@${target.profile.Version}`;

/**
 * The last `capacity` files' facts, in this process only: nothing stale survives a restart or an
 * upgrade that reads files differently. Repeated identities are kept as 4 bytes per row; a file
 * with more of them than `maxDuplicates` is not remembered (at most 1 MB per file by default).
 */
export function createScanMemo(capacity = 16, maxDuplicates = 250_000): ScanMemo {
  const facts = new Map<string, ScanFacts>();
  return {
    get(key) {
      const hit = facts.get(key);
      if (hit) (facts.delete(key), facts.set(key, hit)); // most recently used last
      return hit;
    },
    set(key, found) {
      if (found.duplicates.size > maxDuplicates) return;
      facts.delete(key);
      facts.set(key, { count: found.count, duplicates: Uint32Array.from(found.duplicates) });
      while (facts.size > capacity) facts.delete(facts.keys().next().value!);
    },
  };
}
