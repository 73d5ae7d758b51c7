import type { Summary } from "./summarize.ts";

const ms = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? "-" : value.toFixed(digits));
const signed = (value: number) => (Number.isNaN(value) ? "-" : `${value >= 0 ? "+" : ""}${value.toFixed(1)}`);

/** The results as a Markdown table, so the same text reads in a terminal and pastes into the README. */
export function formatTable(summaries: Summary[]): string {
  const header = [
    "scenario",
    "target",
    "ok/total",
    "TTFT p50/p95/p99 ms",
    "+TTFT p50",
    "total p50 ms",
    "+total p50",
    "chunks/s",
    "spread p50 ms",
    "CPU ms/req",
    "x floor (rounds)",
    "x copy",
  ];
  const rows = summaries.map((s) => [
    s.scenario,
    s.target,
    `${s.ok}/${s.total}`,
    // A Spec 2 answer comes whole: its first byte is its total time, shown in the total columns.
    s.chunksPerSecond === undefined ? "-" : `${ms(s.ttft.p50)} / ${ms(s.ttft.p95)} / ${ms(s.ttft.p99)}`,
    s.target === "direct" ? "" : s.chunksPerSecond === undefined ? "-" : signed(s.addedTtftP50),
    ms(s.total50),
    s.target === "direct" ? "" : signed(s.addedTotalP50),
    s.chunksPerSecond === undefined ? "-" : s.chunksPerSecond.toFixed(0),
    s.chunksPerSecond === undefined ? "-" : ms(s.spreadP50),
    ms(s.cpuMsPerRequest, 3),
    s.cpuRatioToFloor ? `${s.cpuRatioToFloor.all.toFixed(2)} (${s.cpuRatioToFloor.min.toFixed(2)}-${s.cpuRatioToFloor.max.toFixed(2)})` : "-",
    // Only the worker's routes are compared with the copy: for the references it says nothing.
    s.cpuRatioToCopy && s.target !== "floor" && s.target !== "copy" ? s.cpuRatioToCopy.all.toFixed(2) : "-",
  ]);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
