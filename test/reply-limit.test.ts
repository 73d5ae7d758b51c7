// MAX_REPLY_CHARS bounds a reply the worker collects (Spec 2, `stream: false`, and the answer
// of a Spec 2 upstream): one character over is an upstream error, the limit itself is served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docConversation } from "../contracts/conformance/ims-requests.ts";
import { startFakeUpstream, textReply, type FakeUpstream } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const MAX = 40;
/** Split in pieces, so the limit is passed mid-stream rather than by one event. */
const pieces = (chars: number) => Array.from({ length: chars / 10 }, () => "0123456789");

let upstream: FakeUpstream;
let openai: RunningWorker;
let bridge: RunningWorker;
beforeAll(async () => {
  upstream = await startFakeUpstream();
  [openai, bridge] = await Promise.all([
    startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: upstream.url, UPSTREAM_MODEL: "m", MAX_REPLY_CHARS: String(MAX) }),
    startWorker({ MODEL_PROVIDER: "spec2", UPSTREAM_BASE_URL: `${upstream.url}/ims`, MAX_REPLY_CHARS: String(MAX) }),
  ]);
});
afterAll(async () => {
  await Promise.all([openai?.dispose(), bridge?.dispose()]);
  await upstream?.close();
});

const spec2 = (worker: RunningWorker) => fetch(`${worker.url}/`, { method: "POST", body: new URLSearchParams({ Message: JSON.stringify(docConversation), Token: TEST_IMS_TOKEN }) });
const collected = (worker: RunningWorker) =>
  fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream: false, messages: docConversation }),
  });
const spec2Text = (text: string) => ({ headers: { "content-type": "application/json" }, body: [JSON.stringify({ Text: text })] });

describe("MAX_REPLY_CHARS", () => {
  it("Spec 2: a reply at the limit is served, one over it is 502 UpstreamError", async () => {
    upstream.reply({ body: textReply(pieces(MAX)) });
    expect(await (await spec2(openai)).json()).toEqual({ Text: "0123456789".repeat(MAX / 10) });
    upstream.reply({ body: textReply([...pieces(MAX), "x"]) });
    const over = await spec2(openai);
    expect(over.status).toBe(502);
    expect(((await over.json()) as { Code: string; Message: string }).Message).toContain("MAX_REPLY_CHARS");
  });

  it("stream: false: one character over the limit is 502 upstream_error", async () => {
    upstream.reply({ body: textReply([...pieces(MAX), "x"]) });
    const over = await collected(openai);
    expect(over.status).toBe(502);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("upstream_error");
  });

  it("a Spec 2 upstream's answer over the limit is 502, at the limit it is served", async () => {
    upstream.reply(spec2Text("y".repeat(MAX)));
    expect(await (await collected(bridge)).json()).toMatchObject({ choices: [{ message: { content: "y".repeat(MAX) } }] });
    // Characters, not bytes: 40 three-byte characters are within the limit.
    upstream.reply(spec2Text("语".repeat(MAX)));
    expect((await spec2(bridge)).status).toBe(200);
    upstream.reply(spec2Text("y".repeat(MAX + 1)));
    expect((await spec2(bridge)).status).toBe(502);
  });
});
