/**
 * Where a spooled package keeps its record chunks between the two passes of a plan or apply.
 * In memory by default; a runtime with a file system injects one that moves big packages to a
 * temporary file, so a 300 MB upload is not 300 MB of JS heap for the whole request.
 */
export type ChunkStore = {
  readonly length: number;
  push(text: string): void;
  get(index: number): string;
  /** Lets go of what the chunks hold (a file: closed and gone); later `get`s are not allowed. */
  release(): void;
};

export type ChunkStoreFactory = () => ChunkStore;

export function memoryChunks(): ChunkStore {
  let texts: string[] = [];
  return {
    get length() {
      return texts.length;
    },
    push: (text) => void texts.push(text),
    get: (index) => texts[index]!,
    release: () => void (texts = []),
  };
}
