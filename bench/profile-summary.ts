import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Top self-time functions of a V8 .cpuprofile (as written by `node --cpu-prof`), optionally only
 * for the samples inside a time window. Windows are in the profile's clock: microseconds of
 * CLOCK_MONOTONIC, the clock of `process.hrtime` in any process on the machine, so the bench can
 * cut a server's profile into its phases.
 *
 *   npx tsx bench/profile-summary.ts <file.cpuprofile> [--top=10] [--from=<µs>] [--to=<µs>]
 */

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
export type CpuProfile = { nodes: { id: number; callFrame: CallFrame }[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };
export type HotSpot = { function: string; location: string; selfMs: number; percent: number };
export type ProfileWindow = { from: number; to: number };
export type ProfileSummary = { sampledMs: number; idleMs: number; top: HotSpot[] };

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function locationOf(frame: CallFrame): string {
  if (!frame.url) return "";
  const path = frame.url.startsWith("file://") ? relative(ROOT, fileURLToPath(frame.url)) : frame.url;
  // tsx-compiled modules report line 0 for most functions: the file alone says more than ":1".
  return frame.lineNumber > 0 ? `${path}:${frame.lineNumber + 1}` : path;
}

export function summarizeProfile(profile: CpuProfile, window?: ProfileWindow, top = 10): ProfileSummary {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame] as const));
  const self = new Map<string, HotSpot>();
  let sampledMs = 0;
  let idleMs = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (window && (t < window.from || t > window.to)) continue;
    const frame = frames.get(profile.samples[i]!);
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    sampledMs += ms;
    const name = frame.functionName || "(anonymous)";
    const location = locationOf(frame);
    const key = `${name} ${location}`;
    const hit = self.get(key) ?? { function: name, location, selfMs: 0, percent: 0 };
    hit.selfMs += ms;
    self.set(key, hit);
  }
  const hot = [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const h of hot) h.percent = sampledMs ? (100 * h.selfMs) / sampledMs : 0;
  return { sampledMs, idleMs, top: hot };
}

export function formatSummary(title: string, s: ProfileSummary): string {
  const lines = [`${title}: ${Math.round(s.sampledMs)} ms on CPU, ${Math.round(s.idleMs)} ms idle`];
  for (const h of s.top) lines.push(`  ${h.selfMs.toFixed(0).padStart(7)} ms ${h.percent.toFixed(1).padStart(5)} %  ${h.function}${h.location ? `  ${h.location}` : ""}`);
  return lines.join("\n");
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...flags] = process.argv.slice(2);
  if (!file) {
    console.error("usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top=10] [--from=<µs>] [--to=<µs>]");
    process.exit(2);
  }
  const flag = (name: string) => flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1];
  const profile = readProfile(file);
  const from = flag("from");
  const to = flag("to");
  const window = from || to ? { from: Number(from ?? profile.startTime), to: Number(to ?? profile.endTime) } : undefined;
  console.log(formatSummary(file, summarizeProfile(profile, window, Number(flag("top") ?? 10))));
}
