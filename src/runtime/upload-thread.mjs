// The upload thread (upload-thread.ts starts it). A Worker does not inherit a TypeScript loader (and
// under vitest there is none to inherit), so this plain module registers tsx's, then loads ours.
import { register } from "tsx/esm/api";

register();
await import("./upload-thread-worker.ts");
