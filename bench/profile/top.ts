/**
 * Prints the top self-time functions of a V8 .cpuprofile (from
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof ...`), with their share of all
 * samples, for bench/NOTES.md:
 *
 *     node bench/profile/top.ts /tmp/prof/CPU.*.cpuprofile [count]
 *
 * @module
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, countText] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const frame = byId.get(profile.samples[i])!.callFrame;
  const where = frame.url.replace(/^.*\/(?=[^/]+\/[^/]+$)/, "");
  const key = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countText ?? 25));
for (const [key, time] of top) {
  console.log(
    `${(time / total * 100).toFixed(1).padStart(5)}%  ${
      (time / 1000).toFixed(0).padStart(6)
    } ms  ${key}`,
  );
}
