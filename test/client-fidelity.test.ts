// Each recorded provider stream (test/fixtures/provider-fixtures.ts) played by a real HTTP
// upstream on 127.0.0.1 and read by two strict clients this project did not write: the openai
// SDK's stream helper and the Vercel AI SDK (which validates every chunk with its own schema),
// once through the worker and once directly. Through the worker each must receive what the
// fixture says; against the direct reading, every field is equal or a documented difference.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { jsonSchema, streamText, tool } from "ai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerFixtures, type ExpectedReply } from "./fixtures/provider-fixtures.ts";
import { startFakeUpstream, type FakeUpstream } from "./support/fake-upstream.ts";
import { root } from "./support/paths.ts";
import { startWorker, TEST_API_KEY, type RunningWorker } from "./support/start-worker.ts";

interface Seen {
  text: string;
  toolCalls: { name: string; arguments: unknown }[];
  usage: { promptTokens: number; completionTokens: number } | undefined;
  failed: boolean;
}
type Field = keyof Seen;
const FIELDS: Field[] = ["text", "toolCalls", "usage", "failed"];

/**
 * Where a client reads the worker differently from the upstream itself, and why. Every other
 * field must be equal; each listed one must differ (so this list stays true).
 */
const differences: Record<string, Partial<Record<"openai" | "ai-sdk", Partial<Record<Field, string>>>>> = {
  "openai-refusal.sse": {
    openai: { text: "the worker speaks the refusal as content; read directly it is in message.refusal, not content" },
  },
  "ollama-think-content.sse": {
    openai: { text: "the worker leaves out the leading <think> block; read directly it is part of content" },
    "ai-sdk": { text: "the worker leaves out the leading <think> block; read directly it is part of the text" },
  },
  "mistral-content-parts.sse": {
    openai: { text: "the openai SDK cannot join content-part arrays (it concatenates them as strings); the worker sends their text" },
  },
  "groq-x-groq.sse": {
    openai: { usage: "the worker reads usage from x_groq; the openai SDK knows only chunk.usage" },
    "ai-sdk": { usage: "the worker reads usage from x_groq; the AI SDK knows only chunk.usage" },
  },
  "whole-completion.json": {
    openai: {
      text: "a JSON answer to a streaming request is not an event stream: read directly the SDK gets nothing; the worker streams it",
      toolCalls: "as text",
      usage: "as text",
      failed: "as text",
    },
    "ai-sdk": {
      text: "read directly the AI SDK fails on a JSON answer to a streaming request; the worker streams it",
      toolCalls: "as text",
      usage: "as text",
      failed: "as text",
    },
  },
  "ollama-tool-calls.sse": {
    openai: { toolCalls: "read directly the openai SDK's stream helper drops calls sent without index; the worker numbers them" },
  },
  "gemini-openai-tool-call.sse": {
    openai: { toolCalls: "read directly the openai SDK's stream helper drops a call sent without index; the worker numbers it" },
    "ai-sdk": { failed: "read directly the AI SDK rejects Gemini's metadata-only tool-call delta (no function object); the worker leaves it out" },
  },
};

let upstream: FakeUpstream;
let worker: RunningWorker;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  worker = await startWorker({ MODEL_PROVIDER: "openai", UPSTREAM_BASE_URL: `${upstream.url}/v1` });
});
afterAll(async () => {
  await worker?.dispose();
  await upstream?.close();
});

/** The fixture's bytes in three reads, as a network would cut them. */
function play(fixture: ExpectedReply) {
  const bytes = readFileSync(join(root, "test", "fixtures", fixture.file));
  const cut = (share: number) => Math.floor(bytes.length * share);
  const body = [bytes.subarray(0, cut(1 / 3)), { wait: 5 }, bytes.subarray(cut(1 / 3), cut(2 / 3)), { wait: 5 }, bytes.subarray(cut(2 / 3))];
  upstream.reply({ headers: { "content-type": fixture.contentType ?? "text/event-stream" }, body });
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

async function viaOpenai(baseURL: string): Promise<Seen> {
  const client = new OpenAI({ baseURL, apiKey: TEST_API_KEY, maxRetries: 0 });
  const seen: Seen = { text: "", toolCalls: [], usage: undefined, failed: false };
  try {
    const stream = client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "hi" }], stream_options: { include_usage: true } });
    // Text as it arrives, so what came before a failure is seen too.
    for await (const chunk of stream) seen.text += chunk.choices[0]?.delta.content ?? "";
    const done = await stream.finalChatCompletion();
    const message = done.choices[0]?.message;
    seen.toolCalls = (message?.tool_calls ?? []).flatMap((call) => (call.type === "function" ? [{ name: call.function.name, arguments: parsed(call.function.arguments) }] : []));
    if (done.usage) seen.usage = { promptTokens: done.usage.prompt_tokens, completionTokens: done.usage.completion_tokens };
  } catch {
    seen.failed = true;
  }
  return seen;
}

async function viaAiSdk(baseURL: string, fixture: ExpectedReply): Promise<Seen> {
  const provider = createOpenAICompatible({ name: "fixture", baseURL, apiKey: TEST_API_KEY, includeUsage: true });
  const tools = Object.fromEntries(fixture.toolCalls.map((call) => [call.name, tool({ inputSchema: jsonSchema({ type: "object" }) })]));
  const seen: Seen = { text: "", toolCalls: [], usage: undefined, failed: false };
  const result = streamText({ model: provider.chatModel("m"), prompt: "hi", tools, maxRetries: 0 });
  try {
    for await (const part of result.fullStream) {
      if (part.type === "text-delta") seen.text += part.text;
      else if (part.type === "tool-call") seen.toolCalls.push({ name: part.toolName, arguments: part.input });
      else if (part.type === "tool-error") seen.toolCalls.push({ name: part.toolName, arguments: part.input });
      else if (part.type === "error") seen.failed = true;
      else if (part.type === "finish") {
        const { inputTokens, outputTokens } = part.totalUsage;
        if (inputTokens !== undefined && outputTokens !== undefined) seen.usage = { promptTokens: inputTokens, completionTokens: outputTokens };
        if (part.finishReason === "error") seen.failed = true;
      }
    }
  } catch {
    seen.failed = true;
  }
  return seen;
}

/** What the fixture says a client must receive through the worker. */
const promised = (fixture: ExpectedReply): Seen => ({
  text: fixture.text,
  toolCalls: fixture.toolCalls.map((call) => ({ name: call.name, arguments: parsed(call.arguments) })),
  usage: fixture.error ? undefined : fixture.usage,
  failed: fixture.error !== undefined,
});

const rows: string[] = [];
const show = (seen: Seen) =>
  `${JSON.stringify(seen.text.slice(0, 24))}${seen.text.length > 24 ? "…" : ""}; ${seen.toolCalls.map((call) => call.name).join("+") || "-"}; ${seen.usage ? `${seen.usage.promptTokens}/${seen.usage.completionTokens}` : "-"}; ${seen.failed ? "error" : "ok"}`;

describe("two strict clients, through the worker and directly, on every recorded provider stream", () => {
  for (const fixture of providerFixtures) {
    for (const client of ["openai", "ai-sdk"] as const) {
      it(`${fixture.file} — ${client}`, async () => {
        const read = (baseURL: string) => (client === "openai" ? viaOpenai(baseURL) : viaAiSdk(baseURL, fixture));
        play(fixture);
        const through = await read(`${worker.url}/v1`);
        play(fixture);
        const direct = await read(`${upstream.url}/v1`);

        expect(through).toEqual(promised(fixture));
        const documented = differences[fixture.file]?.[client] ?? {};
        const verdicts = FIELDS.map((field) => {
          const same = JSON.stringify(through[field]) === JSON.stringify(direct[field]);
          expect(same, `${field}: through ${JSON.stringify(through[field])}, direct ${JSON.stringify(direct[field])}`).toBe(documented[field] === undefined);
          return same ? "=" : "≠ (documented)";
        });
        rows.push(`| ${fixture.file} | ${client} | ${show(through)} | ${show(direct)} | ${verdicts.join(" ")} |`);
      });
    }
  }

  afterAll(() => {
    if (process.env.FIDELITY_TABLE) writeFileSync(process.env.FIDELITY_TABLE, `| fixture | client | through the worker | direct | text tools usage error |\n|---|---|---|---|---|\n${rows.join("\n")}\n`);
  });
});
