// The self-hosted server (`node server.js` in the built directory, as the container runs it): a
// stream through it arrives intact, settings reach the worker from the environment alone and fail
// closed as on Cloudflare (compared with the same bundle in Miniflare), and its lifecycle: SIGTERM
// lets streams in flight finish while new connections are refused, the grace period is kept, and
// a crash of workerd is a non-zero exit.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, get } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream } from "./support/fake-upstream.ts";
import { builtServerDir } from "./support/paths.ts";
import { startServer, type RunningServer } from "../selfhost/start-server.ts";
import { startWorker } from "./support/start-worker.ts";

const API_KEYS = "sk-env-key-a,sk-env-key-b";
const IMS_TOKEN = "env-ims-token";
const UPSTREAM_KEY = "sk-env-upstream";
// Multi-byte text and an IMS hang-up tag, which must arrive untouched.
const pieces = ["Hello", " there, ", "你好 🙂.", " Goodbye! ", '<imsagent_hangup endword="Bye"/>'];
const replyText = pieces.join("");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const built = { dir: builtServerDir };

const spec1Body = (content = "Hi") => JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content }] });
const spec1 = (server: RunningServer, key: string, init: RequestInit = {}) =>
  fetch(`${server.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: spec1Body(), ...init });
const spec2 = (server: RunningServer, token: string) => fetch(`${server.url}/`, { method: "POST", body: new URLSearchParams({ Message: "[{'role': 'user', 'content': 'Hi'}]", Token: token }) });

/** Reads a Spec 1 stream raw: the text of its content deltas, and how it ended. */
async function readStream(response: Response): Promise<{ text: string; done: number; lastEvent: string; broken: boolean }> {
  let raw = "";
  let broken = false;
  try {
    for await (const part of response.body!.pipeThrough(new TextDecoderStream())) raw += part;
  } catch {
    broken = true;
  }
  const events = raw.split("\n\n").filter(Boolean);
  const data = events.map((event) => event.replace(/^data: /, ""));
  const text = data
    .filter((event) => event !== "[DONE]")
    .map((event) => (JSON.parse(event) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
    .join("");
  return { text, done: data.filter((event) => event === "[DONE]").length, lastEvent: data.at(-1) ?? "", broken };
}

/** Resolves with the error code of a fresh TCP connection to `url`, or "connected". */
const tryConnect = (url: string) =>
  new Promise<string>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream?.close());

describe("settings from the environment only", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(
      {
        MODEL_PROVIDER: "openai",
        UPSTREAM_BASE_URL: `${upstream.url}/v1`,
        UPSTREAM_API_KEY: UPSTREAM_KEY,
        UPSTREAM_MODEL: "served-model",
        ALLOW_PRIVATE_UPSTREAM: "true",
        API_KEYS,
        IMS_TOKENS: IMS_TOKEN,
        // Not the default (15 s), so the test below shows it came from here; long enough that a
        // loaded machine's pause of the upstream (in this process) cannot end a good stream.
        FIRST_TOKEN_TIMEOUT_MS: "2000",
        UPSTREAM_RETRIES: "0",
      },
      built,
    );
  });
  afterAll(() => server?.stop());

  it("streams a reply from a loopback upstream intact through the openai SDK, with the upstream key and model from the environment", async () => {
    upstream.reply({ body: textReply(pieces) });
    const seen = upstream.requests.length;
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "sk-env-key-b", maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: "ims-model", stream: true, messages: [{ role: "user", content: "Hi" }] });
    let text = "";
    const finishes: (string | null)[] = [];
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    expect(text).toBe(replyText);
    expect(finishes).toEqual(["stop"]);
    const request = upstream.requests[seen]!;
    expect(request.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
    expect((JSON.parse(request.body) as { model: string }).model).toBe("served-model");
  });

  it("ends the raw stream with exactly one [DONE], and answers Spec 2 with the whole text", async () => {
    upstream.reply({ body: textReply(pieces) });
    const raw = await readStream(await spec1(server, "sk-env-key-a"));
    expect(raw).toEqual({ text: replyText, done: 1, lastEvent: "[DONE]", broken: false });
    const answer = await spec2(server, IMS_TOKEN);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ Text: replyText });
  });

  it("accepts the keys and token it was given, and no others", async () => {
    upstream.reply({ body: textReply(["ok"]) });
    for (const key of ["sk-env-key-a", "sk-env-key-b"]) expect((await spec1(server, key)).status).toBe(200);
    const wrong = await spec1(server, "sk-not-a-key");
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe("invalid_credentials");
    expect((await spec2(server, "not-the-token")).status).toBe(401);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { provider: string; auth: object };
    expect(health).toMatchObject({ provider: "openai", auth: { openai: "keys", alibaba: "tokens" } });
  });

  it("keeps FIRST_TOKEN_TIMEOUT_MS from the environment: a slow upstream is a 504 after 2 s", async () => {
    upstream.reply({ headersAfterMs: 10_000, body: textReply(["late"]) });
    const started = performance.now();
    const response = await spec1(server, "sk-env-key-a");
    const elapsed = performance.now() - started;
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("upstream_timeout");
    expect(elapsed).toBeGreaterThanOrEqual(1990);
    expect(elapsed).toBeLessThan(8000);
  });

  it("writes every line on stdout as one JSON object, one per request, with the request id the caller saw", async () => {
    upstream.reply({ body: textReply(["logged"]) });
    const response = await spec1(server, "sk-env-key-a");
    await response.text();
    const requestId = response.headers.get("x-request-id");
    // The line crosses workerd's stdout and the server's before it reaches this process.
    await expect.poll(() => server.lines.some((line) => line.requestId === requestId), { timeout: 5000 }).toBe(true);
    expect(server.lines.filter((line) => "notJson" in line)).toEqual([]);
    expect(server.lines.filter((line) => line.requestId === requestId)).toEqual([expect.objectContaining({ route: "spec1", status: 200, outcome: "ok", provider: "openai" })]);
    expect(JSON.stringify(server.lines)).not.toContain(UPSTREAM_KEY);
  });

  it("publishes the schemas and OpenAPI document from the assets directory, as on Cloudflare", async () => {
    const schema = await fetch(`${server.url}/schemas/openai-chat-chunk.json`);
    expect(schema.headers.get("content-type")).toBe("application/schema+json");
    expect(await schema.text()).toBe(readFileSync(join(builtServerDir, "schemas", "openai-chat-chunk.json"), "utf8"));
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    expect((await fetch(`${server.url}/schemas/`)).status).toBe(200);
    // The generator's bookkeeping beside the schemas is not published.
    expect((await fetch(`${server.url}/schemas/index.ts`)).status).toBe(404);
  });
});

describe("a MODELS table from the environment", () => {
  it("reaches the worker with the secrets it names, which are no setting of their own", async () => {
    const models = { voice: [{ provider: "openai", baseUrl: `${upstream.url}/v1`, model: "voice-model", key: "VOICE_UPSTREAM_KEY" }] };
    const server = await startServer({ MODELS: JSON.stringify(models), VOICE_UPSTREAM_KEY: "sk-voice-upstream", ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: "k" }, built);
    try {
      upstream.reply({ body: textReply(["routed"]) });
      const seen = upstream.requests.length;
      const response = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer k", "content-type": "application/json" },
        body: JSON.stringify({ model: "voice", stream: true, messages: [{ role: "user", content: "Hi" }] }),
      });
      expect(await readStream(response)).toMatchObject({ text: "routed", done: 1 });
      expect(upstream.requests[seen]!.headers.authorization).toBe("Bearer sk-voice-upstream");
      expect((JSON.parse(upstream.requests[seen]!.body) as { model: string }).model).toBe("voice-model");
    } finally {
      await server.stop();
    }
  });
});

describe("fail closed, exactly as on Cloudflare", () => {
  /** Status and body (less its request id) of a Spec 1 call, a Spec 2 call and /health. */
  const answers = async (url: string, key: string, token: string | undefined) => {
    const home = { url } as RunningServer;
    const body = async (response: Response) => {
      const json = (await response.json()) as Record<string, unknown>;
      delete json.RequestId;
      return [response.status, json];
    };
    return {
      spec1: await body(await spec1(home, key)),
      ...(token !== undefined && { spec2: await body(await spec2(home, token)) }),
      health: await body(await fetch(`${url}/health`)),
    };
  };
  // Miniflare's test worker is given keys, tokens and ALLOW_PRIVATE_UPSTREAM by default: they are taken away.
  const unset = { API_KEYS: "", IMS_TOKENS: "", ALLOW_PRIVATE_UPSTREAM: "" };

  it("refuses every call with 503 when no keys or tokens are set, with the answers the worker gives in Miniflare", async () => {
    const server = await startServer({}, built);
    const worker = await startWorker(unset);
    try {
      const selfHosted = await answers(server.url, "sk-anything", "anything");
      expect(selfHosted.spec1[0]).toBe(503);
      expect(selfHosted.spec2?.[0]).toBe(503);
      expect(selfHosted).toEqual(await answers(worker.url, "sk-anything", "anything"));
    } finally {
      await server.stop();
      await worker.dispose();
    }
  });

  it("refuses a loopback upstream without ALLOW_PRIVATE_UPSTREAM as a bad setting, never calling it, as in Miniflare", async () => {
    const settings = { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, API_KEYS: "k", IMS_TOKENS: "t" };
    const server = await startServer(settings, built);
    const worker = await startWorker({ ...unset, ...settings });
    try {
      const seen = upstream.requests.length;
      const { spec2: selfHostedSpec2, ...selfHosted } = await answers(server.url, "k", "t");
      expect(selfHosted.spec1).toMatchObject([500, { error: { code: "misconfigured" } }]);
      expect(selfHostedSpec2).toMatchObject([500, { Code: "InternalError.Configuration" }]);
      // Miniflare's own socket sometimes resets this Spec 2 call (the worker answers without reading a
      // body it has no settings to bound), so only Spec 1 and /health are compared with it.
      expect(selfHosted).toEqual(await answers(worker.url, "k", undefined));
      expect(upstream.requests.length).toBe(seen);
    } finally {
      await server.stop();
      await worker.dispose();
    }
  });

  it("reports a bad worker setting at start, from the worker's own validation, and keeps /health failing", async () => {
    const server = await startServer({ API_KEYS: "k", MAX_BODY_BYTES: "lots" }, built);
    try {
      const listening = server.lines.find((line) => line.event === "listening")!;
      expect(listening).toMatchObject({ level: "error", health: 503 });
      expect(String(listening.detail)).toContain("Setting MAX_BODY_BYTES must be a positive integer.");
      expect((await fetch(`${server.url}/health`)).status).toBe(503);
    } finally {
      await server.stop();
    }
  });

  it("exits 2 on a bad server setting, naming it, before starting anything", async () => {
    const server = startServer({ PORT: "90000" }, built);
    await expect(server).rejects.toThrow(/exited with 2 before listening[\s\S]*Setting PORT must be a whole number from 0 to 65535, not \\"90000\\"/);
  });

  it("reads .env from its working directory, under the environment", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ims-serve-env-"));
    try {
      writeFileSync(join(dir, ".env"), "API_KEYS=sk-from-dotenv\nIMS_TOKENS=token-from-dotenv\n");
      const server = await startServer({ IMS_TOKENS: "token-from-environment" }, { file: process.execPath, args: [join(builtServerDir, "server.js")], cwd: dir });
      try {
        expect(server.lines.find((line) => line.event === "listening")).toMatchObject({ envFile: join(dir, ".env") });
        expect((await spec1(server, "sk-from-dotenv")).status).toBe(200);
        expect((await spec2(server, "token-from-environment")).status).toBe(200);
        expect((await spec2(server, "token-from-dotenv")).status).toBe(401);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("lifecycle", () => {
  /** 40 chunks 25 ms apart: each stream is open for about a second. */
  const paced = [...sseEvents([upstreamChunk({ role: "assistant", content: "" })], false), ...Array.from({ length: 40 }, (_, i) => [{ wait: 25 }, `data: ${JSON.stringify(upstreamChunk({ content: `w${i} ` }))}\n\n`]).flat(), ...sseEvents([upstreamChunk({}, "stop")])];
  const pacedText = Array.from({ length: 40 }, (_, i) => `w${i} `).join("");
  const STREAMS = 50;
  const GRACE_MS = 10_000;

  it(`SIGTERM during ${STREAMS} open streams: every stream completes intact, new connections are refused, idle ones closed, exit 0 within the grace period`, async () => {
    const server = await startServer({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: "k", SHUTDOWN_GRACE_MS: String(GRACE_MS) }, built);
    // Every stream stops after its first words until the drain's first promises are checked, so
    // all of them are in flight then however slowly this machine runs.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    upstream.reply({ body: [...paced.slice(0, 11), { until: released }, ...paced.slice(11)] });
    // An idle keep-alive connection, as a load balancer keeps one.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const idleSocket = await new Promise<Socket>((resolve, reject) => {
      const request = get(`${server.url}/health`, { agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(request.socket!));
      });
      request.on("error", reject);
    });
    const idleClosed = new Promise<void>((closed) => idleSocket.once("close", () => closed()));
    const responses = await Promise.all(Array.from({ length: STREAMS }, () => spec1(server, "k")));
    expect(responses.map((response) => response.status)).toEqual(Array(STREAMS).fill(200));
    const streams = responses.map(readStream);
    const signalledAt = performance.now();
    server.child.kill("SIGTERM");
    // The server stops listening in the same turn as it writes this line.
    await expect.poll(() => server.lines.some((line) => line.event === "draining"), { timeout: 5_000 }).toBe(true);
    expect(await tryConnect(server.url)).toBe("ECONNREFUSED");
    // Closed while every stream is still held: the drain did not wait for them to close it.
    await idleClosed;
    const idleClosedMs = performance.now() - signalledAt;
    release();
    const results = await Promise.all(streams);
    const status = await server.exited;
    const exitMs = performance.now() - signalledAt;
    console.log(`SIGTERM with ${STREAMS} streams open: idle keep-alive connection closed after ${idleClosedMs.toFixed(0)} ms, exit ${status} after ${exitMs.toFixed(0)} ms`);
    for (const result of results) expect(result).toEqual({ text: pacedText, done: 1, lastEvent: "[DONE]", broken: false });
    expect(status).toBe(0);
    expect(exitMs).toBeLessThan(GRACE_MS);
    // Closed as the drain began, far from the grace period's end (held streams or not).
    expect(idleClosedMs).toBeLessThan(GRACE_MS / 2);
    expect(server.lines.find((line) => line.event === "draining")).toMatchObject({ signal: "SIGTERM", inFlight: STREAMS });
    expect(server.lines.find((line) => line.event === "stopped")).toMatchObject({ cut: 0 });
    agent.destroy();
  });

  it("cuts what is still streaming when the grace period ends, so the caller sees a broken stream, and exits 0", async () => {
    const endless = [...sseEvents([upstreamChunk({ role: "assistant", content: "" }), upstreamChunk({ content: "on" })], false), ...Array.from({ length: 500 }, () => [{ wait: 20 }, `data: ${JSON.stringify(upstreamChunk({ content: " and on" }))}\n\n`]).flat()];
    const server = await startServer({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: "k", SHUTDOWN_GRACE_MS: "300" }, built);
    upstream.reply({ body: endless });
    const stream = readStream(await spec1(server, "k"));
    const signalledAt = performance.now();
    server.child.kill("SIGTERM");
    const result = await stream;
    const status = await server.exited;
    expect(result.done).toBe(0);
    expect(result.broken).toBe(true);
    expect(status).toBe(0);
    expect(performance.now() - signalledAt).toBeLessThan(3_000);
    expect(server.lines.find((line) => line.event === "stopped")).toMatchObject({ level: "warn", cut: 1 });
  });

  it("exits non-zero when workerd dies, and the stream in flight ends broken, not complete", async () => {
    const server = await startServer({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, ALLOW_PRIVATE_UPSTREAM: "true", API_KEYS: "k" }, built);
    upstream.reply({ body: paced });
    const stream = readStream(await spec1(server, "k"));
    await sleep(200);
    process.kill(server.runtimePid, "SIGKILL");
    const result = await stream;
    expect(await server.exited).toBe(128 + 9);
    expect(result.done).toBe(0);
    expect(result.broken).toBe(true);
    expect(server.lines.find((line) => line.event === "runtime_exited")).toMatchObject({ level: "error", signal: "SIGKILL" });
  });
});
