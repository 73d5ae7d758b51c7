// The voice settings end to end: the built worker in workerd, a recording model server on
// 127.0.0.1, the openai SDK as IMS. The upstream receives exactly the documented messages and
// tools; the reply reaches both routes with IMS's marker and (when asked) markdown removed.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseEvents, startFakeUpstream, textReply, upstreamChunk, type FakeUpstream } from "./support/fake-upstream.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const PROMPT = "You are Ava, a phone assistant.\nAnswer in one or two short sentences.";
const IMS_PROMPT = "You are the agent configured in the IMS console.";
const lookup = { type: "function" as const, function: { name: "lookup", description: "Look up an order.", parameters: { type: "object", properties: {} } } };
const HANGUP = {
  type: "function",
  function: { name: "hangup", description: "End the phone call. Call it once the conversation is over, after saying goodbye.", parameters: { type: "object", properties: {} } },
};

let upstream: FakeUpstream;
/** One worker per SYSTEM_PROMPT_MODE, each with some of the other settings. */
const workers: Record<string, RunningWorker> = {};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  const base = { MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1`, UPSTREAM_MODEL: "served-model" };
  const started = await Promise.all([
    // A single-line field: \n stands for a line break.
    startWorker({
      ...base,
      SYSTEM_PROMPT: PROMPT.replace("\n", "\\n"),
      SYSTEM_PROMPT_MODE: "prepend",
      HANGUP_TOOL: "hangup",
      INTERRUPTED_MARKER: "note",
      DEFAULT_MAX_TOKENS: "120",
      DEFAULT_TEMPERATURE: "0.4",
      UPSTREAM_EXTRA_BODY: '{"enable_thinking": false}',
    }),
    startWorker({ ...base, SYSTEM_PROMPT: `\n${PROMPT}\n`, SYSTEM_PROMPT_MODE: "replace", INTERRUPTED_MARKER: "strip", SPEECH_CLEANUP: "markdown" }),
    startWorker({ ...base, SYSTEM_PROMPT: PROMPT, SYSTEM_PROMPT_MODE: "if-absent" }),
    startWorker({ ...base, UPSTREAM_EXTRA_BODY: '{"enable_thinking": false, "model": "other"}' }),
  ]);
  [workers.prepend, workers.replace, workers["if-absent"], workers.refused] = started;
});
afterAll(async () => {
  await Promise.all(Object.values(workers).map((worker) => worker.dispose()));
  await upstream?.close();
});

const client = (mode: string) => new OpenAI({ baseURL: `${workers[mode]!.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
const lastBody = () => JSON.parse(upstream.requests.at(-1)!.body) as Record<string, unknown>;

async function spec1(mode: string, request: Partial<OpenAI.ChatCompletionCreateParamsStreaming>) {
  const stream = await client(mode).chat.completions.create({ model: "m", messages: [], ...request, stream: true });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { text: chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join(""), chunks, body: lastBody() };
}

async function spec2(mode: string, messages: object[]) {
  const response = await fetch(`${workers[mode]!.url}/`, { method: "POST", body: new URLSearchParams({ Message: JSON.stringify(messages), Token: TEST_IMS_TOKEN }) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, body: lastBody() };
}

const user = { role: "user" as const, content: "Where is my order?" };
const imsSystem = { role: "system" as const, content: IMS_PROMPT };

/** The documented table: what the upstream receives for each mode, with and without IMS's own system message. */
const expected = {
  prepend: {
    withIms: [{ role: "system", content: `${PROMPT}\n\n${IMS_PROMPT}` }, user],
    without: [{ role: "system", content: PROMPT }, user],
  },
  replace: {
    withIms: [{ role: "system", content: PROMPT }, user],
    without: [{ role: "system", content: PROMPT }, user],
  },
  "if-absent": {
    withIms: [imsSystem, user],
    without: [{ role: "system", content: PROMPT }, user],
  },
};

describe("SYSTEM_PROMPT_MODE", () => {
  for (const [mode, { withIms, without }] of Object.entries(expected)) {
    it(`${mode}: the upstream receives the documented messages, on both routes`, async () => {
      upstream.reply({ body: textReply(["Ok."]) });
      expect((await spec1(mode, { messages: [imsSystem, user] })).body.messages).toEqual(withIms);
      expect((await spec1(mode, { messages: [user] })).body.messages).toEqual(without);
      expect((await spec2(mode, [imsSystem, user])).body.messages).toEqual(withIms);
      expect((await spec2(mode, [user])).body.messages).toEqual(without);
    });
  }

  it("replace drops every system and developer message IMS sent, wherever it is", async () => {
    upstream.reply({ body: textReply(["Ok."]) });
    const { body } = await spec1("replace", { messages: [imsSystem, user, { role: "developer", content: "Be terse." }, { role: "assistant", content: "Hi." }] });
    expect(body.messages).toEqual([{ role: "system", content: PROMPT }, user, { role: "assistant", content: "Hi." }]);
  });

  it("prepend merges into IMS's system message given as text parts, still one system message", async () => {
    upstream.reply({ body: textReply(["Ok."]) });
    const { body } = await spec1("prepend", { messages: [{ role: "system", content: [{ type: "text", text: IMS_PROMPT }] }, user] });
    expect(body.messages).toEqual(expected.prepend.withIms);
  });
});

describe("HANGUP_TOOL, defaults and UPSTREAM_EXTRA_BODY", () => {
  it("adds the hang-up tool once, after the request's own tools, with the defaults and the extra body", async () => {
    upstream.reply({ body: textReply(["Ok."]) });
    expect((await spec1("prepend", { messages: [user] })).body).toEqual({
      model: "served-model",
      messages: expected.prepend.without,
      stream: true,
      tools: [HANGUP],
      max_tokens: 120,
      temperature: 0.4,
      enable_thinking: false,
    });
    const withTools = (await spec1("prepend", { messages: [user], tools: [lookup], max_tokens: 50, temperature: 0 })).body;
    expect(withTools.tools).toEqual([lookup, HANGUP]);
    expect([withTools.max_tokens, withTools.temperature]).toEqual([50, 0]);
    const own = { type: "function" as const, function: { name: "hangup", description: "IMS's own." } };
    expect((await spec1("prepend", { messages: [user], tools: [own, lookup] })).body.tools).toEqual([own, lookup]);
    // max_completion_tokens counts as the request's own limit.
    expect((await spec1("prepend", { messages: [user], max_completion_tokens: 30 })).body).not.toHaveProperty("max_tokens");
  });

  it("offers no tool on the Spec 2 route, whose reply is text only; the other settings still apply", async () => {
    upstream.reply({ body: textReply(["Ok."]) });
    const { body } = await spec2("prepend", [user]);
    expect(body).toEqual({ model: "served-model", messages: expected.prepend.without, stream: true, max_tokens: 120, temperature: 0.4, enable_thinking: false });
  });

  it("streams the model's hang-up call to the openai SDK as a tool_calls delta named hangup, after the text it said", async () => {
    upstream.reply({
      body: sseEvents([
        upstreamChunk({ role: "assistant", content: "" }),
        upstreamChunk({ content: "Thanks for calling, " }),
        upstreamChunk({ content: "goodbye!" }),
        upstreamChunk({ tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "hangup", arguments: "" } }] }),
        upstreamChunk({ tool_calls: [{ index: 0, function: { arguments: "{}" } }] }),
        upstreamChunk({}, "tool_calls"),
      ]),
    });
    const { text, chunks, body } = await spec1("prepend", { messages: [user] });
    expect(body.tools).toEqual([HANGUP]);
    expect(text).toBe("Thanks for calling, goodbye!");
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: "call_9", type: "function", function: { name: "hangup" } });
    expect(calls.map((call) => call.function?.arguments ?? "").join("")).toBe("{}");
    const textEnds = chunks.findLastIndex((chunk) => chunk.choices[0]?.delta.content);
    expect(textEnds).toBeLessThan(chunks.findIndex((chunk) => chunk.choices[0]?.delta.tool_calls));
    expect(chunks.filter((chunk) => chunk.choices[0]?.finish_reason).map((chunk) => chunk.choices[0]!.finish_reason)).toEqual(["tool_calls"]);
  });

  it("refuses an UPSTREAM_EXTRA_BODY that would set model, naming the setting and the key, on every route and /health", async () => {
    const seen = upstream.requests.length;
    const worker = workers.refused!;
    const spec1Response = await fetch(`${worker.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream: true, messages: [user] }),
    });
    expect(spec1Response.status).toBe(500);
    expect(await spec1Response.json()).toMatchObject({ error: { code: "misconfigured", message: 'Setting UPSTREAM_EXTRA_BODY may not set "model": the worker sets it.' } });
    const spec2Response = await fetch(`${worker.url}/`, { method: "POST", body: new URLSearchParams({ Message: JSON.stringify([user]), Token: TEST_IMS_TOKEN }) });
    expect(spec2Response.status).toBe(500);
    expect(await spec2Response.text()).toContain('UPSTREAM_EXTRA_BODY may not set \\"model\\"');
    const health = await fetch(`${worker.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.text()).toContain('UPSTREAM_EXTRA_BODY may not set \\"model\\"');
    expect(upstream.requests.length).toBe(seen);
  });
});

describe("INTERRUPTED_MARKER and the reply", () => {
  const interrupted = [user, { role: "assistant" as const, content: "Your order left on<ims_agent_interrupted>" }, { role: "user" as const, content: "When?" }];

  it("sends the marker as it is (keep), as a note, or not at all", async () => {
    upstream.reply({ body: textReply(["Ok."]) });
    const assistantTurn = async (mode: string) => ((await spec1(mode, { messages: interrupted })).body.messages as { content: string }[]).at(-2)!.content;
    expect(await assistantTurn("if-absent")).toBe("Your order left on<ims_agent_interrupted>");
    expect(await assistantTurn("prepend")).toBe("Your order left on (the user interrupted here)");
    expect(await assistantTurn("replace")).toBe("Your order left on");
  });

  it("never speaks the marker back, split across reads, with every setting off, on both routes", async () => {
    upstream.reply({ body: textReply(["It left on Monday.<ims_agent_", "interrupted> Anything", " else?<ims", "_agent_interrupted>"]) });
    expect((await spec1("if-absent", { messages: interrupted })).text).toBe("It left on Monday. Anything else?");
    expect((await spec2("if-absent", interrupted)).json).toEqual({ Text: "It left on Monday. Anything else?" });
  });

  it("SPEECH_CLEANUP=markdown: the spoken text on both routes, with markers split across reads and IMS's tag untouched", async () => {
    const pieces = ["## Your order\n", "- It left on **Mon", "day**\n- Track it at [the ", "site](https://example.com/t_1)\n", "Use `snake_case` ids; 2*3 is 6. 再见**朋友**！ 🙂 ", '<imsagent_hangup endword="**Bye**"/>'];
    const said = 'Your order\nIt left on Monday\nTrack it at the site\nUse snake_case ids; 2*3 is 6. 再见朋友！ 🙂 <imsagent_hangup endword="**Bye**"/>';
    upstream.reply({ body: textReply(pieces) });
    expect((await spec1("replace", { messages: [user] })).text).toBe(said);
    expect((await spec2("replace", [user])).json).toEqual({ Text: said });
    const completion = await client("replace").chat.completions.create({ model: "m", messages: [user] });
    expect(completion.choices[0]!.message.content).toBe(said);
    // Off, the same reply arrives as the model wrote it.
    expect((await spec1("if-absent", { messages: [user] })).text).toBe(pieces.join(""));
  });
});
