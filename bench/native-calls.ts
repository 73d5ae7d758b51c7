// node bench/native-calls.ts [ROUNDS]: nanoseconds of workerd CPU per operation for each path
// of bench/experiments/native-calls.ts, interleaved round after round (the first round is
// warm-up), median of the rest. It measures the choices on the per-chunk path one at a time,
// free of the stream's own noise.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { root } from "../test/support/paths.ts";
import { treeCpuSeconds } from "./process-tree.ts";
import { startWorkerd } from "./workerd-server.ts";

const rounds = Number(process.argv[2] ?? 6);
const module = join(root, ".build", "bench", "native-calls", "index.js");
execFileSync(join(root, "node_modules", ".bin", "esbuild"), [join(import.meta.dirname, "experiments", "native-calls.ts"), "--bundle", "--format=esm", `--outfile=${module}`, "--log-level=warning"]);
const server = await startWorkerd("native-calls", { modulePath: module, compatibilityDate: "2026-07-01", compatibilityFlags: [], vars: {} });
const cpu: Record<string, number[]> = {};
let paths: { path: string; ops: number }[] = [];
try {
  paths = (await (await fetch(`${server.url}/paths`)).json()) as typeof paths;
  for (let round = 0; round < rounds; round++) {
    for (const { path: name } of paths) {
      const before = treeCpuSeconds(server.pid);
      const response = await fetch(`${server.url}/${name}`);
      await response.text();
      if (!response.ok) throw new Error(`${name}: ${response.status}`);
      if (round > 0) (cpu[name] ??= []).push(treeCpuSeconds(server.pid) - before);
    }
  }
} finally {
  await server.stop();
}
console.log("| path | ns per operation (median) | rounds, ms |\n|---|---|---|");
for (const { path: name, ops } of paths) {
  const seconds = cpu[name]!;
  const sorted = [...seconds].sort((a, b) => a - b);
  console.log(`| ${name} | ${((sorted[Math.floor(sorted.length / 2)]! / ops) * 1e9).toFixed(0)} | ${seconds.map((s) => (s * 1000).toFixed(0)).join(" ")} |`);
}
