// MODELS: routes, fallback before the first token, cool-down, hedging, affinity, Spec 2 URLs
// and keys per route, against real upstreams on 127.0.0.1 scripted per target.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream, type ScriptedReply } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const json = { "content-type": "application/json" };
const hello = (who: string) => textReply([`Hello from ${who}`, "."]);
const fail = (status: number): ScriptedReply => ({ status, headers: json, body: ['{"error":{"message":"no","type":"x","code":"y"}}'] });

async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

interface Routed {
  model: string;
  target: string | null;
  attempts: string[];
  hedged: boolean;
}
const logs: Record<string, unknown>[] = [];
const onLog = ({ message }: { message: string }) => {
  try {
    logs.push(JSON.parse(message) as Record<string, unknown>);
  } catch {
    // Not one of the worker's structured lines.
  }
};
/** The routing of the next request to log one after `from` lines: log lines reach the test a little after the reply. */
async function routedAfter(from: number): Promise<Routed> {
  for (let waited = 0; waited < 2000; waited += 10) {
    const line = logs.slice(from).find((entry) => entry.routing !== undefined);
    if (line) return line.routing as Routed;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("no log line with routing arrived");
}

async function viaSdk(worker: RunningWorker, model: string, key = TEST_API_KEY, instanceId?: string) {
  const client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: key, maxRetries: 0 });
  let text = "";
  let servedModel = "";
  const started = performance.now();
  let ttft: number | undefined;
  /** performance.now() at the first text: the fake upstreams' clock too, as they run in this process. */
  let firstAt = 0;
  try {
    const stream = await client.chat.completions.create({ model, stream: true, messages: [{ role: "user", content: "Hi" }], ...(instanceId && { extendData: { instanceId } }) } as OpenAI.ChatCompletionCreateParamsStreaming);
    try {
      for await (const chunk of stream) {
        servedModel = chunk.model;
        const piece = chunk.choices[0]?.delta.content ?? "";
        if (piece && ttft === undefined) {
          ttft = performance.now() - started;
          firstAt = performance.now();
        }
        text += piece;
      }
    } catch (error) {
      if (!(error instanceof OpenAI.APIError)) throw error;
      return { text, streamError: (error.error as { code?: string } | undefined)?.code ?? error.code };
    }
    return { text, model: servedModel, ttft: ttft ?? 0, firstAt };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    return { status: error.status, code: error.code, message: error.message };
  }
}

async function spec2(worker: RunningWorker, path: string, form: Record<string, string> = { Message: '[{"role":"user","content":"Hi"}]', Token: TEST_IMS_TOKEN }) {
  const response = await fetch(`${worker.url}${path}`, { method: "POST", body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const target = (upstream: { url: string }, model: string, extra: Record<string, unknown> = {}) => ({ provider: "openai", baseUrl: upstream.url, model, ...extra });

let a: FakeUpstream;
let b: FakeUpstream;
let matrix: RunningWorker;
let dead: string;

beforeAll(async () => {
  [a, b] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
  dead = await deadUrl();
  // Timeouts the rows cross on purpose, and that a loaded machine's pause (the upstreams run in
  // this process) cannot cross by accident in the rows that must not.
  const primary = target(a, "model-a", { name: "a", key: "KEY_A", overrides: { FIRST_TOKEN_TIMEOUT_MS: 1000 } });
  const backup = target(b, "model-b", { name: "b", key: "KEY_B" });
  const models = {
    voice: { targets: [primary, backup], coolDownMs: 1 },
    refused: { targets: [{ ...primary, name: "dead", baseUrl: dead }, backup], coolDownMs: 1 },
    spoken: { targets: [{ ...primary, overrides: { FALLBACK_TEXT: "One moment please." } }, { ...backup, overrides: { UPSTREAM_RETRIES: "0" } }], coolDownMs: 1 },
  };
  matrix = await startWorker({ MODELS: JSON.stringify(models), KEY_A: "key-a", KEY_B: "key-b", FIRST_TOKEN_TIMEOUT_MS: "5000", IDLE_TIMEOUT_MS: "1000" }, { onLog });
});
afterAll(async () => {
  await matrix?.dispose();
  await Promise.all([a?.close(), b?.close()]);
});

const started = sseEvents([upstreamChunk({ role: "assistant", content: "" }), upstreamChunk({ content: "Hello" })], false);
const errorEvent = `data: ${JSON.stringify({ error: { message: "boom", type: "server_error" } })}\n\n`;

describe("fallback before the first token", () => {
  const rows: { trigger: string; route?: string; a: ScriptedReply[]; b?: ScriptedReply[]; caller: object; answered: string | null; attempts: string[]; bRequests: number }[] = [
    { trigger: "connection refused", route: "refused", a: [], caller: { text: "Hello from b." }, answered: "b", attempts: ["dead", "b"], bRequests: 1 },
    { trigger: "500", a: [fail(500)], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "503 with an empty body", a: [{ status: 503, body: [] }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "429", a: [{ ...fail(429), headers: { ...json, "retry-after": "9" } }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "401 (wrong key)", a: [fail(401)], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "404 (wrong model)", a: [fail(404)], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "headers stall past the target's first-token timeout", a: [{ body: ["hang"], headersAfterMs: 5000 }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "slow first token (role chunk at once, text after 2.5 s)", a: [{ body: [sseEvents([upstreamChunk({ role: "assistant", content: "" })], false)[0]!, { wait: 2500 }, ...hello("a")] }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "connection dropped before any text", a: [{ body: ["destroy"] }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "an error object as the first event", a: [{ body: [errorEvent] }], caller: { text: "Hello from b." }, answered: "b", attempts: ["a", "b"], bRequests: 1 },
    { trigger: "the primary answers", a: [{ body: hello("a") }], caller: { text: "Hello from a." }, answered: "a", attempts: ["a"], bRequests: 0 },
    { trigger: "text, then the connection drops (never retried)", a: [{ body: [...started, { wait: 30 }, "destroy"] }], caller: { text: "Hello", streamError: "upstream_error" }, answered: "a", attempts: ["a"], bRequests: 0 },
    { trigger: "text, then a stall (never retried)", a: [{ body: [...started, "hang"] }], caller: { text: "Hello", streamError: "upstream_timeout" }, answered: "a", attempts: ["a"], bRequests: 0 },
    { trigger: "every target fails (the last is retried once)", a: [fail(500)], b: [fail(500)], caller: { status: 502, code: "upstream_unavailable" }, answered: null, attempts: ["a", "b", "b"], bRequests: 2 },
    { trigger: "every target fails, FALLBACK_TEXT of the first", route: "spoken", a: [fail(500)], b: [fail(502)], caller: { text: "One moment please." }, answered: null, attempts: ["a", "b"], bRequests: 1 },
  ];
  for (const row of rows) {
    it(`${row.trigger} -> ${row.answered ?? "none"} answers`, async () => {
      a.reply(...(row.a.length ? row.a : [{ body: hello("a") }]));
      b.reply(...(row.b ?? [{ body: hello("b") }]));
      const [aBefore, bBefore, mark] = [a.requests.length, b.requests.length, logs.length];
      const result = await viaSdk(matrix, row.route ?? "voice");
      expect(result).toMatchObject(row.caller);
      expect(b.requests.length - bBefore).toBe(row.bRequests);
      expect(await routedAfter(mark)).toEqual({ model: row.route ?? "voice", target: row.answered, attempts: row.attempts, hedged: false });
      // Each target is sent its own model and its own key, never the other's.
      for (const request of a.requests.slice(aBefore)) expect([JSON.parse(request.body).model, request.headers.authorization]).toEqual(["model-a", "Bearer key-a"]);
      for (const request of b.requests.slice(bBefore)) expect([JSON.parse(request.body).model, request.headers.authorization]).toEqual(["model-b", "Bearer key-b"]);
      if ("model" in result) expect(result.model).toBe(row.route ?? "voice");
    });
  }

  it("the target's first-token timeout moves on within the call's budget", async () => {
    a.reply({ body: ["hang"], headersAfterMs: 5000 });
    b.reply({ body: hello("b") });
    const result = await viaSdk(matrix, "voice");
    expect(result).toMatchObject({ text: "Hello from b." });
    expect((result as { ttft: number }).ttft).toBeGreaterThan(980);
    expect((result as { ttft: number }).ttft).toBeLessThan(3000);
  });
});

describe("each target's own settings", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    // a and b differ in every setting that shapes a request or a reply.
    const own = {
      voice: {
        coolDownMs: 1,
        targets: [
          target(a, "model-a", { name: "a", overrides: { SYSTEM_PROMPT: "You are A.", UPSTREAM_EXTRA_BODY: '{"a_only":true}', FALLBACK_TEXT: "A is sorry.", IDLE_TIMEOUT_MS: "5000" } }),
          target(b, "model-b", { name: "b", overrides: { SYSTEM_PROMPT: "You are B.", SPEECH_CLEANUP: "markdown", FALLBACK_TEXT: "B is sorry.", IDLE_TIMEOUT_MS: "1000", TOTAL_TIMEOUT_MS: "1200", UPSTREAM_RETRIES: "0" } }),
        ],
      },
    };
    worker = await startWorker({ MODELS: JSON.stringify(own), IDLE_TIMEOUT_MS: "5000", TOTAL_TIMEOUT_MS: "30000" }, { onLog });
  });
  afterAll(async () => {
    await worker?.dispose();
  });
  const sent = (upstream: FakeUpstream) => JSON.parse(upstream.requests.at(-1)!.body) as { messages: { role: string; content: string }[]; a_only?: boolean };

  it("the backup is sent its own prompt and body, never the primary's, and its reply goes through its own speech filter", async () => {
    a.reply(fail(500));
    b.reply({ body: textReply(["**Hello** from", " b."]) });
    expect(await viaSdk(worker, "voice")).toMatchObject({ text: "Hello from b." });
    expect(sent(a).messages[0]).toEqual({ role: "system", content: "You are A." });
    expect(sent(a).a_only).toBe(true);
    expect(sent(b).messages[0]).toEqual({ role: "system", content: "You are B." });
    expect(sent(b)).not.toHaveProperty("a_only");
  });

  it("the primary, when it answers, keeps its own filter (none): the backup's markdown cleanup is not applied", async () => {
    a.reply({ body: textReply(["**Hello** from", " a."]) });
    expect(await viaSdk(worker, "voice")).toMatchObject({ text: "**Hello** from a." });
  });

  it("a backup that stalls mid-reply ends at its own idle timeout, with its own FALLBACK_TEXT", async () => {
    a.reply(fail(500));
    b.reply({ body: [...started, "hang"] });
    const begun = performance.now();
    const result = await viaSdk(worker, "voice");
    // b's 1 s idle gap, not a's or the deployment's 5 s.
    expect(performance.now() - begun).toBeLessThan(2500);
    expect(result).toMatchObject({ text: "Hello B is sorry." });
  });

  it("a backup that keeps talking past its own total timeout is ended there, counted from the call's start", async () => {
    a.reply(fail(500));
    const trickle = Array.from({ length: 80 }, () => [{ wait: 100 }, sseEvents([upstreamChunk({ content: "." })], false)[0]!]).flat();
    b.reply({ body: [...started, ...trickle] });
    const begun = performance.now();
    const result = await viaSdk(worker, "voice");
    // b's 1.2 s, not the deployment's 30 s (the trickle would last 8 s).
    expect(performance.now() - begun).toBeLessThan(4000);
    expect(result).toMatchObject({ text: expect.stringMatching(/^Hello\.+ B is sorry\.$/) });
  });

  it("when every target fails before its first token, the first target's FALLBACK_TEXT is spoken", async () => {
    a.reply(fail(500));
    b.reply(fail(502));
    expect(await viaSdk(worker, "voice")).toMatchObject({ text: "A is sorry." });
  });
});

describe("cool-down", () => {
  it("skips a target that keeps failing and tries it again after the cool-down", async () => {
    const models = { voice: { targets: [target(a, "model-a", { name: "a" }), target(b, "model-b", { name: "b" })], coolDownMs: 3000 } };
    const worker = await startWorker({ MODELS: JSON.stringify(models) }, { onLog });
    try {
      a.reply(fail(500));
      b.reply({ body: hello("b") });
      const attempts = [];
      for (let i = 0; i < 4; i++) {
        const mark = logs.length;
        expect(await viaSdk(worker, "voice")).toMatchObject({ text: "Hello from b." });
        attempts.push((await routedAfter(mark)).attempts);
      }
      // Three failures in a row, then the fourth call goes straight to b.
      expect(attempts).toEqual([["a", "b"], ["a", "b"], ["a", "b"], ["b"]]);
      const health = (await (await fetch(`${worker.url}/health`)).json()) as { routes: { voice: { targets: { name: string; coolingDown?: boolean }[][] } } };
      expect(health.routes.voice.targets.flat().map((t) => [t.name, t.coolingDown ?? false])).toEqual([["a", true], ["b", false]]);
      await new Promise((resolve) => setTimeout(resolve, 3100));
      a.reply({ body: hello("a") });
      const mark = logs.length;
      expect(await viaSdk(worker, "voice")).toMatchObject({ text: "Hello from a." });
      expect((await routedAfter(mark)).attempts).toEqual(["a"]);
    } finally {
      await worker.dispose();
    }
  });
});

describe("hedging", () => {
  let hedging: RunningWorker;
  beforeAll(async () => {
    const models = { voice: { targets: [target(a, "model-a", { name: "a" }), target(b, "model-b", { name: "b" })], hedgeAfterMs: 500 } };
    hedging = await startWorker({ MODELS: JSON.stringify(models) }, { onLog });
  });
  afterAll(() => hedging?.dispose());
  const slow = (ms: number, who: string): ScriptedReply => ({ body: [{ wait: ms }, ...hello(who)] });
  /** A first token after `ms`, then the rest 1.5 s later: a loser let go only when the reply ends would be seen. */
  const long = (ms: number, who: string): ScriptedReply => {
    const [role, first, ...rest] = hello(who);
    return { body: [{ wait: ms }, role!, first!, { wait: 1500 }, ...rest] };
  };
  /** How soon after the winner's first token reached the caller the loser's connection must be closed. */
  const LOSER_CLOSED_WITHIN_MS = 500;

  it("a fast primary starts no second request", async () => {
    a.reply({ body: hello("a") });
    const [before, mark] = [b.requests.length, logs.length];
    expect(await viaSdk(hedging, "voice")).toMatchObject({ text: "Hello from a." });
    expect(b.requests.length).toBe(before);
    expect(await routedAfter(mark)).toMatchObject({ target: "a", hedged: false });
  });

  it("a slow primary is hedged: the backup's first token wins and the primary is closed at once", async () => {
    a.reply(slow(4000, "a"));
    b.reply(long(100, "b"));
    const [aBefore, bBefore, mark] = [a.requests.length, b.requests.length, logs.length];
    const result = (await viaSdk(hedging, "voice")) as { text: string; ttft: number; firstAt: number };
    expect(result).toMatchObject({ text: "Hello from b." });
    expect(result.ttft).toBeLessThan(2000);
    expect(b.requests.length - bBefore).toBe(1);
    // Aborted at its rival's first token, long before the reply (1.5 s more) is over.
    expect((await a.requests[aBefore]!.closed) - result.firstAt).toBeLessThan(LOSER_CLOSED_WITHIN_MS);
    expect(await routedAfter(mark)).toEqual({ model: "voice", target: "b", attempts: ["a", "b"], hedged: true });
  });

  it("when the primary's first token comes first after all, the backup is aborted and nothing of it is spliced in", async () => {
    // a's first token a second after the hedge starts, b's 1.5 s after a's.
    a.reply(long(1500, "a"));
    b.reply(slow(2500, "b"));
    const [bBefore, mark] = [b.requests.length, logs.length];
    const result = (await viaSdk(hedging, "voice")) as { text: string; firstAt: number };
    expect(result).toMatchObject({ text: "Hello from a." });
    expect((await b.requests[bBefore]!.closed) - result.firstAt).toBeLessThan(LOSER_CLOSED_WITHIN_MS);
    expect(await routedAfter(mark)).toMatchObject({ target: "a", hedged: true });
  });
});

describe("selection by model id", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    const models = { reception: [target(a, "model-a")], sales: { targets: [target(b, "model-b")], keys: ["SALES_KEYS"] } };
    worker = await startWorker({ MODELS: JSON.stringify(models), SALES_KEYS: "sk-sales-1, sk-sales-2" }, { onLog });
  });
  afterAll(() => worker?.dispose());

  it("each model id reaches its route; an unknown one is a 404 model_not_found", async () => {
    a.reply({ body: hello("a") });
    b.reply({ body: hello("b") });
    expect(await viaSdk(worker, "reception")).toMatchObject({ text: "Hello from a." });
    expect(await viaSdk(worker, "qwen-plus")).toMatchObject({ status: 404, code: "model_not_found" });
  });

  it("a key limited to a route opens that route alone, and the route takes no other key", async () => {
    expect(await viaSdk(worker, "sales", "sk-sales-2")).toMatchObject({ text: "Hello from b." });
    expect(await viaSdk(worker, "reception", "sk-sales-1")).toMatchObject({ status: 401, code: "invalid_credentials" });
    expect(await viaSdk(worker, "sales", TEST_API_KEY)).toMatchObject({ status: 401, code: "invalid_credentials" });
    expect(await viaSdk(worker, "sales", "sk-nobody")).toMatchObject({ status: 401, code: "invalid_credentials" });
  });

  it("/health lists routes and targets, with secrets by name only", async () => {
    const text = await (await fetch(`${worker.url}/health`)).text();
    expect(JSON.parse(text)).toMatchObject({
      status: "ok",
      routes: { reception: { targets: [[{ name: "reception[0]", provider: "openai", baseUrl: a.url, model: "model-a" }]] }, sales: { keys: ["SALES_KEYS"] } },
    });
    expect(text).not.toContain("sk-sales");
  });
});

describe("Spec 2 by URL", () => {
  let worker: RunningWorker;
  beforeAll(async () => {
    const models = { receptionist: [target(a, "model-a")], sales: [target(b, "model-b")], "*": [target(b, "model-any")] };
    worker = await startWorker({ MODELS: JSON.stringify(models) });
  });
  afterAll(() => worker?.dispose());

  it("two workflows on two URLs reach their two routes, under a path prefix too", async () => {
    a.reply({ body: hello("a") });
    b.reply({ body: hello("b") });
    const bBefore = b.requests.length;
    expect(await spec2(worker, "/spec2/receptionist")).toEqual({ status: 200, body: { Text: "Hello from a." } });
    expect(await spec2(worker, "/spec2/sales")).toEqual({ status: 200, body: { Text: "Hello from b." } });
    expect(await spec2(worker, "/tenants/acme/spec2/receptionist")).toEqual({ status: 200, body: { Text: "Hello from a." } });
    expect(await spec2(worker, "/tenants/acme/")).toEqual({ status: 200, body: { Text: "Hello from b." } });
    expect(await spec2(worker, "//")).toEqual({ status: 200, body: { Text: "Hello from b." } });
    expect(b.requests.slice(bBefore).map((request) => JSON.parse(request.body).model)).toEqual(["model-b", "model-any", "model-any"]);
  });

  it("its errors are always in the Alibaba shape", async () => {
    expect(await spec2(worker, "/spec2/nobody")).toMatchObject({ status: 404, body: { Code: "NotFound.Model" } });
    expect(await spec2(worker, "/tenants/acme/spec2/sales", { Token: TEST_IMS_TOKEN })).toMatchObject({ status: 400, body: { Code: "InvalidParameter" } });
    expect(await spec2(worker, "/spec2/sales", { Message: "[]", Token: "wrong" })).toMatchObject({ status: 401, body: { Code: "InvalidToken" } });
    const get = await fetch(`${worker.url}/spec2/sales`);
    expect([get.status, ((await get.json()) as { Code: string }).Code]).toEqual([405, "MethodNotAllowed"]);
  });

  it("without MODELS, Spec 2 works under a prefix and a route URL is a 404 in the Alibaba shape", async () => {
    const plain = await startWorker();
    try {
      expect(await spec2(plain, "/ims/")).toMatchObject({ status: 200, body: { Text: expect.stringContaining("demo model") } });
      expect(await spec2(plain, "//")).toMatchObject({ status: 200 });
      expect(await spec2(plain, "/spec2/sales")).toMatchObject({ status: 404, body: { Code: "NotFound" } });
    } finally {
      await plain.dispose();
    }
  });
});

describe("affinity in a weighted pool", () => {
  /** Short, so the test sees a target come back. */
  const COOL_DOWN_MS = 1_000;

  it("200 calls over 20 conversations: each sticks to one target, spread by weight; with one down its conversations move and stick, and stay moved once it is back", { timeout: 90_000 }, async () => {
    const pool = await Promise.all([startFakeUpstream(), startFakeUpstream(), startFakeUpstream()]);
    const weights = [1, 1, 2];
    pool.forEach((upstream, i) => upstream.reply({ body: hello(`p${i}`) }));
    const models = { replicas: { targets: [pool.map((upstream, i) => target(upstream, "m", { name: `p${i}`, weight: weights[i] }))], coolDownMs: COOL_DOWN_MS } };
    const worker = await startWorker({ MODELS: JSON.stringify(models) }, { onLog });
    try {
      const ids = Array.from({ length: 20 }, (_, i) => `instance-${i}`);
      const run = async () => {
        const seen = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
        for (let round = 0; round < 10; round++) {
          for (const id of ids) {
            const result = (await viaSdk(worker, "replicas", TEST_API_KEY, id)) as { text: string };
            seen.get(id)!.add(/from (p\d)/.exec(result.text)![1]!);
          }
        }
        return seen;
      };
      const before = await run();
      for (const targets of before.values()) expect(targets.size).toBe(1);
      const home = new Map([...before].map(([id, targets]) => [id, [...targets][0]!]));
      const counts = [0, 1, 2].map((i) => [...home.values()].filter((t) => t === `p${i}`).length);
      console.log(`affinity: instances per target (weights ${weights.join(":")}): ${counts.join(" / ")}`);
      // The heavier target holds the most conversations; none is left empty.
      expect(Math.max(...counts)).toBe(counts[2]);
      expect(Math.min(...counts)).toBeGreaterThan(0);

      pool[2]!.reply({ status: 503, body: ["down"] });
      const after = await run();
      for (const [id, targets] of after) {
        expect(targets.size, id).toBe(1);
        // Conversations whose target is up stay where they were.
        if (home.get(id) !== "p2") expect([...targets][0]).toBe(home.get(id));
        else expect([...targets][0]).not.toBe("p2");
      }
      const moved = [...after].filter(([id]) => home.get(id) === "p2").map(([, targets]) => [...targets][0]);
      console.log(`affinity: with p2 down its ${moved.length} conversations moved to ${moved.join(", ")}`);

      // p2 is back and out of its cool-down: the conversations that left it stay where they went.
      pool[2]!.reply({ body: hello("p2") });
      await new Promise((resolve) => setTimeout(resolve, COOL_DOWN_MS + 100));
      const back = await run();
      for (const [id, targets] of back) {
        expect(targets.size, id).toBe(1);
        expect([...targets][0], id).toBe([...after.get(id)!][0]);
      }
      // p2 takes calls again: conversations new to the pool still land there by its weight.
      const before2 = pool[2]!.requests.length;
      const fresh = [];
      for (let i = 0; i < 20; i++) fresh.push(((await viaSdk(worker, "replicas", TEST_API_KEY, `new-instance-${i}`)) as { text: string }).text);
      expect(pool[2]!.requests.length - before2).toBe(fresh.filter((text) => text.includes("from p2")).length);
      expect(fresh.filter((text) => text.includes("from p2")).length).toBeGreaterThan(0);
    } finally {
      await worker.dispose();
      await Promise.all(pool.map((upstream) => upstream.close()));
    }
  });
});

describe("a bad table", () => {
  it("a target that lacks what its provider needs makes /health name the route and target", async () => {
    const worker = await startWorker({ MODELS: JSON.stringify({ voice: [{ provider: "workers-ai" }] }) });
    try {
      const health = await fetch(`${worker.url}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "unavailable", problems: { spec1: [expect.stringMatching(/^MODELS route "voice", target voice\[0\]: MODEL_PROVIDER workers-ai needs the AI binding/)] } });
    } finally {
      await worker.dispose();
    }
  });

  it("is a clear error naming the route, the target and the field; /health reports it without secrets", async () => {
    const models = { voice: [{ provider: "openai", baseUrl: "https://api.example.com/v1", key: "KEY_A", apiKey: "sk-leak-1" }] };
    const worker = await startWorker({ MODELS: JSON.stringify(models), KEY_A: "sk-secret-a" });
    try {
      const health = await fetch(`${worker.url}/health`);
      const text = await health.text();
      expect(health.status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({ status: "unavailable", problems: { spec1: [expect.stringContaining('route "voice", targets[0]: unknown field "apiKey"')] } });
      expect(text).not.toMatch(/sk-leak|sk-secret/);
      expect(await viaSdk(worker, "voice")).toMatchObject({ status: 500, code: "misconfigured" });
    } finally {
      await worker.dispose();
    }
  });
});
