// Hostile callers and hostile upstreams: what a broken, slow or nosy client gets, what an
// upstream that resets or quotes its key in its errors leads to, and what reaches the log.
// Raw sockets go to the worker's own socket, so the framing arrives as the client wrote it.
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docConversation, docExtendData } from "../contracts/conformance/ims-requests.ts";
import { startFakeUpstream, type FakeUpstream, type ScriptedReply } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const UPSTREAM_API_KEY = "up-Hostile-K3y-5e6f7a8b";
/** Short, so a slow body is refused within the test's time. */
const BODY_TIMEOUT_MS = 600;

const logs: { level: string; message: string }[] = [];
const onLog = (line: { level: string; message: string }) => void logs.push(line);

let worker: RunningWorker;
let bridge: RunningWorker;
let openai: RunningWorker;
let upstream: FakeUpstream;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  [worker, bridge, openai] = await Promise.all([
    startWorker({ BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) }, { onLog }),
    startWorker({ MODEL_PROVIDER: "alibaba", UPSTREAM_BASE_URL: upstream.url, UPSTREAM_API_KEY }, { onLog }),
    startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, UPSTREAM_API_KEY }, { onLog }),
  ]);
});
afterAll(async () => {
  await Promise.all([worker, bridge, openai].map((running) => running?.dispose()));
  await upstream?.close();
});

interface RawAnswer {
  /** The status of the answer, or 0 when the connection closed without one. */
  status: number;
  text: string;
  /** performance.now() when the connection closed. */
  closedAt: number;
}

/** Writes `head` and then each piece of `body` (a number waits that many ms) on a raw socket; `end` closes the writing side. */
function rawRequest(url: string, head: string, body: (string | number)[], then: "end" | "destroy" | "hold" = "hold"): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    socket.on("data", (data) => (text += data.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closedAt: performance.now() }));
    socket.on("connect", async () => {
      socket.write(head);
      for (const piece of body) {
        if (socket.destroyed) return;
        if (typeof piece === "number") await new Promise((wait) => setTimeout(wait, piece));
        else socket.write(piece);
      }
      if (then === "destroy") socket.destroy();
      else if (then === "end") socket.end();
    });
  });
}

const chatHead = (extra = "") => `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${TEST_API_KEY}\r\nconnection: close\r\n${extra}\r\n`;
const chatBody = JSON.stringify({ model: "m", stream: true, messages: docConversation });
const lineFor = (requestId: string) => logs.find((line) => line.message.includes(requestId));

describe("authentication comes before validation", () => {
  it.each([
    ["urlencoded, no Message", { "content-type": "application/x-www-form-urlencoded" }, "ExtendData=%7B%7D"],
    ["multipart, no Message", {}, (() => { const form = new FormData(); form.append("ExtendData", "{}"); return form; })()],
    ["urlencoded, a bad Message", { "content-type": "application/x-www-form-urlencoded" }, "Message=not-json&Token=wrong"],
  ] as const)("Spec 2 without a valid token gets 401, not the form's rules (%s)", async (_, headers, body) => {
    const response = await fetch(`${worker.url}/`, { method: "POST", headers, body });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { Code: string }).Code).toMatch(/^InvalidToken/);
  });

  it("Spec 1 without a key gets 401 for a body that is not even JSON", async () => {
    const response = await fetch(`${worker.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(response.status).toBe(401);
  });
});

describe("error messages never quote the request", () => {
  it("a non-JSON Spec 1 body is refused without echoing it", async () => {
    const response = await fetch(`${worker.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }, body: "my private diagnosis" });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain("invalid_json");
    expect(text).not.toMatch(/private|diagnosis/);
    expect(JSON.stringify(logs)).not.toMatch(/private|diagnosis/);
  });
});

describe("a broken upload is the caller's fault", () => {
  it("malformed chunked framing is answered 400, never 500, and logged below error", async () => {
    const answer = await rawRequest(worker.directUrl, chatHead("transfer-encoding: chunked\r\n"), ["5\r\n{\"mod\r\nzz-not-hex\r\n\r\n"], "end");
    expect(answer.status === 0 || (answer.status >= 400 && answer.status < 500)).toBe(true);
    expect(answer.status).not.toBe(0);
    const requestId = /x-request-id: (\S+)/i.exec(answer.text)?.[1];
    expect(requestId).toBeDefined();
    await expect.poll(() => lineFor(requestId!), { timeout: 5000 }).toBeDefined();
    expect(lineFor(requestId!)!.level).not.toBe("error");
    expect(lineFor(requestId!)!.message).toContain('"code":"incomplete_body"');
  });

  it.each([
    ["Spec 1", chatHead(`content-length: ${chatBody.length}\r\n`), chatBody.slice(0, 40)],
    ["Spec 2 without a token", `POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 5000\r\n\r\n`, "Message=%5B"],
  ])("a %s client that disconnects mid-upload leaves no error-level line and no 500", async (_, head, body) => {
    const before = logs.length;
    await rawRequest(worker.directUrl, head, [body, 100], "destroy");
    await expect.poll(() => logs.length, { timeout: 5000 }).toBeGreaterThan(before);
    const lines = logs.slice(before);
    for (const line of lines) {
      expect(line.level).not.toBe("error");
      expect(line.message).not.toContain('"status":500');
    }
    expect(lines.some((line) => line.message.includes('"code":"incomplete_body"'))).toBe(true);
  });
});

describe("request bodies have a read deadline (BODY_TIMEOUT_MS)", () => {
  const trickle = (n: number) => Array.from({ length: n }, (_, i) => [200, chatBody[i]!]).flat();

  it("a body sent a byte at a time is refused with 408 at the deadline", async () => {
    const started = performance.now();
    const answer = await rawRequest(worker.directUrl, chatHead(`content-length: ${chatBody.length}\r\n`), trickle(50));
    expect(answer.status).toBe(408);
    expect(answer.text).toContain("body_timeout");
    expect(answer.closedAt - started).toBeLessThan(BODY_TIMEOUT_MS + 1500);
  });

  it("a slow body on a keep-alive connection gets 408 and the connection closes at the deadline", async () => {
    const started = performance.now();
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nauthorization: Bearer ${TEST_API_KEY}\r\ncontent-length: ${chatBody.length}\r\n\r\n`;
    const answer = await rawRequest(worker.directUrl, head, trickle(50));
    expect(answer.status).toBe(408);
    expect(answer.closedAt - started).toBeLessThan(BODY_TIMEOUT_MS + 1500);
  });

  it("a refused (unauthenticated) slow upload is not read on past the deadline", async () => {
    const started = performance.now();
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${chatBody.length}\r\n\r\n`;
    const answer = await rawRequest(worker.directUrl, head, trickle(50));
    expect(answer.closedAt - started).toBeLessThan(BODY_TIMEOUT_MS + 1500);
    expect([0, 401]).toContain(answer.status);
  });
});

describe("a hostile upstream", () => {
  it("a Spec 2 upstream that resets mid-body is an upstream failure, retried before the first token", async () => {
    const reset = { status: 200, headers: { "content-type": "application/json" }, body: ['{"Text": "Hel', { wait: 30 }, "destroy" as const] };
    upstream.reply(reset, reset);
    const before = upstream.requests.length;
    const response = await fetch(`${bridge.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }, body: chatBody });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("upstream_unavailable");
    expect(upstream.requests.length - before).toBe(2);
  });

  const quoting = [
    ["an OpenAI error whose type and code quote the key", "openai", { status: 401, headers: { "content-type": "application/json" }, body: [JSON.stringify({ error: { message: "no", type: `key ${UPSTREAM_API_KEY}`, code: UPSTREAM_API_KEY } })] }, /code=<\d+>/],
    ["an in-stream error whose code quotes the key", "openai", { body: [`data: ${JSON.stringify({ error: { type: UPSTREAM_API_KEY, code: `bad:${UPSTREAM_API_KEY}` } })}\n\n`] }, /code=<\d+>/],
    ["a Spec 2 error whose Code quotes the key", "alibaba", { status: 200, headers: { "content-type": "application/json" }, body: [JSON.stringify({ Code: `InvalidToken ${UPSTREAM_API_KEY}` })] }, /code=<\d+>/],
    ["a Spec 2 answer with the key as a JSON key", "alibaba", { status: 200, headers: { "content-type": "application/json" }, body: [JSON.stringify({ [UPSTREAM_API_KEY]: 1 })] }, undefined],
    ["a 900 KB in-stream error code", "openai", { body: [`data: ${JSON.stringify({ error: { type: "x", code: "c".repeat(900_000) } })}\n\n`] }, /code=<900000>/],
  ] as [string, "openai" | "alibaba", ScriptedReply, RegExp | undefined][];

  // A value that may not be repeated is logged as its length (SECURITY.md, Logs), on every path.
  it.each(quoting)("%s reaches neither the caller nor the log, and the line stays short", async (_, provider, reply, logged) => {
    upstream.reply(reply, reply);
    const before = logs.length;
    const target = provider === "openai" ? openai : bridge;
    const spec1 = await fetch(`${target.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }, body: chatBody });
    const spec2 = await fetch(`${target.url}/`, { method: "POST", body: new URLSearchParams({ Message: JSON.stringify(docConversation), Token: TEST_IMS_TOKEN, ExtendData: docExtendData }) });
    const answers = [await spec1.text(), await spec2.text()];
    expect(spec1.status).toBeGreaterThanOrEqual(200);
    await expect.poll(() => logs.length - before, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    const written = logs.slice(before).map((line) => line.message);
    for (const text of [...answers, ...written]) {
      expect(text).not.toContain(UPSTREAM_API_KEY);
      expect(text).not.toContain(UPSTREAM_API_KEY.slice(4, -4));
    }
    for (const line of written) expect(line.length).toBeLessThan(1000);
    if (logged) expect(written.filter((line) => logged.test(line))).toHaveLength(2);
  });
});
