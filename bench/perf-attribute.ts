// node bench/perf-attribute.ts DIR REQUESTS [baseline]: where the worker's CPU goes beside the
// copy worker's, from the profiles of `npm run bench -- --perf DIR --targets floor,copy,spec1`
// (REQUESTS: measured requests per target, rounds x the scenario's count; with `baseline`, the
// worker at --baseline REF, profiled in the same run). Every sample is
// charged to one cause: the native API that the innermost JavaScript frame called (the
// stream's read and write, TextDecoder, JSON.parse, ...), else that frame's own code, named by
// what the bundle holds at its position, else what workerd was doing with no JavaScript on
// the stack (its I/O, the kernel, entering the isolate, the microtask queue, GC). Prints
// samples per request by cause (at perf's 999 Hz, about a profiled millisecond each).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Frame = { symbol: string; dso: string };

/** The native APIs a JavaScript frame calls, by the class name in workerd's (demangled) symbols. */
const NATIVE: [RegExp, string][] = [
  [/WritableStreamDefaultWriter/, "writer.write (native)"],
  [/ReadableStreamDefaultReader/, "reader.read (native)"],
  [/TextEncoder/, "TextEncoder.encode"],
  [/TextDecoder/, "TextDecoder.decode"],
  [/JsonParse/, "JSON.parse"],
  [/JsonStringify/, "JSON.stringify"],
  [/DateNow/, "Date.now"],
  [/AbortSignal|EventTarget/, "AbortSignal and listeners"],
  [/PromiseConstructor/, "new Promise"],
  [/[Cc]onsole/, "console.log (per request)"],
  [/ServiceWorkerGlobalScope/, "fetch() and timers (per request)"],
  [/IdentityTransformStream|api::Response|api::Request|api::Headers|api::URL|Crypto/, "Response, Request, URL, crypto (per request)"],
];

/** The worker's own functions, by what the minified bundle holds where V8 says each one starts. */
const OWN_CODE: [RegExp, string][] = [
  [/closed\.catch/, "JS per chunk: writeReply, framer"],
  [/charCodeAt\(\w\+1\)|this\.bytes|this\.started\)\{this\.started|"role":"assistant"/, "JS per chunk: writeReply, framer"],
  [/indexOf\("\\r"\)|Cannot feed parser/, "JS per chunk: SSE parser, event reader, chunk reader"],
  [/in-stream err|prompt_tokens|this\.parser\.feed|decoderIdle|this\.reader|this\.closed/, "JS per chunk: SSE parser, event reader, chunk reader"],
  [/this\.waiting|this\.over\)|resolveRead|this\.aborted/, "JS per chunk: reply guard"],
  [/_zod|safeParse/, "JS per request: validation"],
];

const JS_NAMES_PER_CHUNK: Record<string, string> = {
  next: "JS per chunk: SSE parser, event reader, chunk reader",
  take: "JS per chunk: SSE parser, event reader, chunk reader",
  decode: "JS per chunk: SSE parser, event reader, chunk reader",
  frame: "JS per chunk: writeReply, framer",
  encode: "JS per chunk: writeReply, framer",
  copy: "JS per chunk: the copy loop",
};

function samples(data: string): Frame[][] {
  const text = execFileSync("perf", ["script", "-i", data, "-F", "ip,sym,dso"], { encoding: "utf8", maxBuffer: 1024 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] });
  const out: Frame[][] = [];
  let stack: Frame[] = [];
  for (const line of text.split("\n")) {
    const match = /^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
    if (match) stack.push({ symbol: match[1]!, dso: match[2]! });
    else if (!line.trim() && stack.length) {
      out.push(stack);
      stack = [];
    }
  }
  if (stack.length) out.push(stack);
  return out;
}

function ownCode(bundle: string[], frame: string): string {
  const name = frame.replace(/^JS:[*^+~']*/, "").split(" ")[0] ?? "";
  const at = /index\.js:(\d+):(\d+)/.exec(frame);
  const source = at ? (bundle[Number(at[1]) - 1] ?? "").slice(Number(at[2]), Number(at[2]) + 200) : "";
  for (const [pattern, cause] of OWN_CODE) if (pattern.test(source)) return cause;
  return JS_NAMES_PER_CHUNK[name] ?? "JS per request: routing, checks, the call's setup";
}

function cause(bundle: string[], stack: Frame[]): string {
  const js = stack.findIndex((frame) => frame.symbol.startsWith("JS:"));
  if (js === -1) {
    const all = stack.map((frame) => frame.symbol).join(" ");
    if (stack[0]!.dso.includes("kernel")) return "runtime: kernel (network, scheduling)";
    if (/Scaveng|MarkCompact|cppgc|Heap::Collect|Sweeper|ConcurrentMarking/.test(all)) return "runtime: GC";
    if (all.includes("RunMicrotasks")) return "runtime: microtask queue";
    if (/IoContext::runImpl|Worker::Lock|jsg::/.test(all)) return "runtime: entering the isolate";
    return "runtime: native I/O (kj, http, streams)";
  }
  const called = stack.slice(0, js).map((frame) => frame.symbol);
  for (let i = called.length - 1; i >= 0; i--) {
    for (const [pattern, label] of NATIVE) if (pattern.test(called[i]!)) return label;
  }
  return ownCode(bundle, stack[js]!.symbol.replace(/\+0x[0-9a-f]+$/, ""));
}

function attribute(data: string, bundle: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const stack of samples(data)) {
    const key = cause(bundle, stack);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

const [dir, requestsArg, target = "worker"] = process.argv.slice(2);
if (!dir || !requestsArg || !["worker", "baseline"].includes(target)) {
  console.error("usage: node bench/perf-attribute.ts DIR REQUESTS [baseline]");
  process.exit(2);
}
// The bundle the bench served, copied beside its profile: it names the minified functions.
const bundlePath = join(dir, `${target}.js`);
const requests = Number(requestsArg);
const copy = attribute(join(dir, "copy.data"), []);
const worker = attribute(join(dir, `${target}.data`), readFileSync(bundlePath, "utf8").split("\n"));
const causes = [...new Set([...worker.keys(), ...copy.keys()])].sort((a, b) => (worker.get(b) ?? 0) - (copy.get(b) ?? 0) - ((worker.get(a) ?? 0) - (copy.get(a) ?? 0)));
const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
const per = (n: number) => (n / requests).toFixed(3);
console.log("| cause | copy | worker | worker - copy |\n|---|---|---|---|");
for (const key of causes) console.log(`| ${key} | ${per(copy.get(key) ?? 0)} | ${per(worker.get(key) ?? 0)} | ${per((worker.get(key) ?? 0) - (copy.get(key) ?? 0))} |`);
console.log(`| total | ${per(total(copy))} | ${per(total(worker))} | ${per(total(worker) - total(copy))} |`);
