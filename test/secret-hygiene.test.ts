// No configured secret ever leaves the worker: a run over both routes, good and bad requests,
// rate limiting, a misconfigured upstream and an upstream that echoes its key in an error (as
// OpenAI's does) is captured whole (every response status line, header and body, and every
// line the worker logs) and searched for each secret.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docConversation, docExtendData } from "../contracts/conformance/ims-requests.ts";
import { startWorker, type RunningWorker } from "./support/start-worker.ts";

const API_KEYS = ["sk-live-K3yOne-9f8e7d6c5b4a", "sk-live-K3yTwo-rotated-1a2b3c4d"];
const IMS_TOKENS = ["ims-T0kenOne-0c9b8a7f6e", "ims-T0kenTwo-rotated-5d4e3f"];
const UPSTREAM_API_KEY = "up-S3cret-Upstr3am-77aa88bb";
const URL_PASSWORD = "urlPa55-S3cret-99cc";
const SECRETS = [...API_KEYS, ...IMS_TOKENS, UPSTREAM_API_KEY, URL_PASSWORD];

const logs: string[] = [];
const transcript: string[] = [];
const onLog = (line: { level: string; message: string }) => void logs.push(`${line.level} ${line.message}`);
const secretVars = { API_KEYS: API_KEYS.join(","), IMS_TOKENS: IMS_TOKENS.join(", "), UPSTREAM_API_KEY };

let upstream: Server;
/** How many calls reached the echoing upstream with the configured key: the leak path was exercised. */
let upstreamCallsWithKey = 0;
let upstreamUrl: string;
let demo: RunningWorker;
let echoingUpstream: RunningWorker;
let credentialsInUrl: RunningWorker;

beforeAll(async () => {
  // Answers like OpenAI does to a bad key: 401, quoting the key it was given.
  upstream = createServer((request, response) => {
    request.resume();
    if (request.headers.authorization === `Bearer ${UPSTREAM_API_KEY}`) upstreamCallsWithKey++;
    response.writeHead(401, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${request.headers.authorization ?? ""}`, type: "invalid_request_error" } }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const address = upstream.address();
  upstreamUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/v1`;
  const ratelimits = { RATE_LIMITER: { namespace_id: "7", simple: { limit: 12, period: 60 as const } } };
  [demo, echoingUpstream, credentialsInUrl] = await Promise.all([
    startWorker({ ...secretVars, CORS_ALLOW_ORIGINS: "https://console.example.com" }, { ratelimits, onLog }),
    startWorker({ ...secretVars, MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstreamUrl }, { onLog }),
    startWorker({ ...secretVars, MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `https://proxy-user:${URL_PASSWORD}@api.example.com/v1` }, { onLog }),
  ]);
});
afterAll(async () => {
  await Promise.all([demo, echoingUpstream, credentialsInUrl].map((running) => running?.dispose()));
  await new Promise((resolve) => upstream?.close(resolve));
});

async function record(worker: RunningWorker, path: string, init: RequestInit = {}) {
  const response = await fetch(`${worker.url}${path}`, { method: "POST", ...init });
  const body = await response.text();
  transcript.push(`${response.status} ${[...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n")}\n\n${body}`);
  return response.status;
}

const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: "m", stream: true, messages: docConversation, ...extra });
const json = { "content-type": "application/json" };
const chat = (worker: RunningWorker, headers: Record<string, string>, body = chatBody(), path = "/v1/chat/completions") =>
  record(worker, path, { headers: { ...json, ...headers }, body });
const text = (worker: RunningWorker, token: string | undefined, fields: Record<string, string> = {}) =>
  record(worker, "/", { body: new URLSearchParams({ Message: JSON.stringify(docConversation), ExtendData: docExtendData, ...(token !== undefined && { Token: token }), ...fields }) });

/** A secret with its first or last character changed: a near miss that must not be echoed either. */
const nearMisses = (secret: string) => [`${secret}x`, secret.slice(0, -1), `x${secret.slice(1)}`, secret.toUpperCase()];

describe("secret hygiene", () => {
  it("runs both routes through good and bad requests, then finds no secret in any response or log line", async () => {
    const statuses: number[] = [];
    for (const key of API_KEYS) {
      statuses.push(await chat(demo, { authorization: `Bearer ${key}` }));
      statuses.push(await chat(demo, { authorization: `Bearer ${key}` }, chatBody({ stream: false })));
      statuses.push(await chat(demo, { "api-key": key }));
      statuses.push(await chat(demo, {}, chatBody(), `/v1/chat/completions?api-version=2024-02-01&api-key=${key}`));
      statuses.push(await chat(demo, { authorization: `Bearer ${key}`, origin: "https://console.example.com" }, '{"model":'));
      statuses.push(await chat(demo, { authorization: `Bearer ${key}` }, chatBody({ messages: [{ role: "bot", content: "x" }] })));
      statuses.push(await chat(demo, { authorization: `Bearer ${key}`, "content-type": "text/plain" }));
      statuses.push(await chat(demo, { authorization: `Bearer ${key}` }, "[".repeat(100)));
      statuses.push(await record(demo, `/v1/embeddings?api-key=${key}`, { headers: { authorization: `Bearer ${key}` }, body: "{}" }));
      for (const wrong of nearMisses(key)) statuses.push(await chat(demo, { authorization: `Bearer ${wrong}` }));
      statuses.push(await chat(demo, { authorization: key }));
      statuses.push(await chat(echoingUpstream, { authorization: `Bearer ${key}` }));
      statuses.push(await chat(echoingUpstream, { authorization: `Bearer ${key}` }, chatBody({ stream: false })));
      statuses.push(await chat(credentialsInUrl, { authorization: `Bearer ${key}` }));
    }
    for (const token of IMS_TOKENS) {
      statuses.push(await text(demo, token));
      statuses.push(await text(demo, token, { Message: "[{'role': 'user'" }));
      statuses.push(await text(demo, token, { ExtendData: "[1]" }));
      for (const wrong of nearMisses(token)) statuses.push(await text(demo, wrong));
      statuses.push(await text(echoingUpstream, token));
      statuses.push(await text(credentialsInUrl, token));
    }
    statuses.push(await text(demo, undefined));
    // Past the rate limit, for both routes.
    for (let i = 0; i < 14; i++) statuses.push(await chat(demo, { authorization: `Bearer ${API_KEYS[0]}` }), await text(demo, IMS_TOKENS[0]));
    statuses.push(await record(demo, "/health", { method: "GET" }));

    // The run reached every kind of answer, and the capture saw the worker's own log lines.
    for (const status of [200, 400, 401, 404, 415, 429]) expect(statuses).toContain(status);
    expect(statuses.some((status) => status >= 500)).toBe(true);
    expect(logs.some((line) => line.includes("misconfigured"))).toBe(true);
    expect(upstreamCallsWithKey).toBeGreaterThan(0);

    const haystack = [...transcript, ...logs].join("\n");
    const found = SECRETS.filter((secret) => haystack.includes(secret) || haystack.includes(secret.slice(4, -4)));
    expect(found, `secrets found in responses or logs`).toEqual([]);
    console.log(`secret scan: ${transcript.length} responses and ${logs.length} log lines searched for ${SECRETS.length} secrets: ${found.length} found`);
  });
});
