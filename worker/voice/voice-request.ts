import type { ChatMessage } from "../../contracts/openai/chat-request.ts";
import type { VoiceSettings } from "../config.ts";
import { plainText } from "../providers/plain-text.ts";
import type { ModelCall } from "../providers/provider.ts";
import { INTERRUPTED_MARKER } from "./interrupted-marker.ts";

type Call = Omit<ModelCall, "signal">;

/** Said to the model where IMS cut its earlier turn short, with INTERRUPTED_MARKER=note. */
const INTERRUPTED_NOTE = " (the user interrupted here)";

const isSystem = (message: ChatMessage) => message.role === "system" || message.role === "developer";

/**
 * The deployment's prompt and IMS's, per SYSTEM_PROMPT_MODE. prepend merges them into the one
 * leading system message, ours first: some chat templates refuse a second system message.
 */
function withPrompt(messages: readonly ChatMessage[], prompt: string, mode: VoiceSettings["systemPromptMode"]): readonly ChatMessage[] {
  const ours: ChatMessage = { role: "system", content: prompt };
  if (mode === "replace") return [ours, ...messages.filter((message) => !isSystem(message))];
  const first = messages[0];
  if (mode === "if-absent") return messages.some(isSystem) ? messages : [ours, ...messages];
  if (first && isSystem(first)) return [{ ...first, role: "system", content: `${prompt}\n\n${plainText(first.content)}` }, ...messages.slice(1)];
  return [ours, ...messages];
}

/** IMS's interruption marker in earlier assistant turns, as INTERRUPTED_MARKER says the model should see it. */
function withMarker(messages: readonly ChatMessage[], replacement: string): readonly ChatMessage[] {
  const replace = (text: string) => text.replaceAll(INTERRUPTED_MARKER, replacement);
  return messages.map((message) => {
    if (message.role !== "assistant" || !message.content) return message;
    const { content } = message;
    if (typeof content === "string") return content.includes(INTERRUPTED_MARKER) ? { ...message, content: replace(content) } : message;
    return { ...message, content: content.map((part) => ({ ...part, text: replace(part.text) })) };
  });
}

/**
 * The call as it goes upstream, with the deployment's voice settings applied: the one place
 * they touch the request (prompt, interruption marker, hang-up tool, defaults, extra body).
 * With every setting off the call is returned as it came.
 */
export function voiceRequest<C extends Call>(call: C, voice: VoiceSettings): C {
  const { systemPrompt, interruptedMarker, hangupTool, defaultMaxTokens, defaultTemperature, extraBody } = voice;
  let { messages, options } = call;
  if (interruptedMarker !== "keep") messages = withMarker(messages, interruptedMarker === "note" ? INTERRUPTED_NOTE : "");
  if (systemPrompt !== undefined) messages = withPrompt(messages, systemPrompt, voice.systemPromptMode);
  const tools = options.tools ?? [];
  const addTool = hangupTool !== undefined && !call.textOnly && !tools.some((tool) => tool.function.name === hangupTool.function.name);
  const addMaxTokens = defaultMaxTokens !== undefined && options.max_tokens === undefined && options.max_completion_tokens === undefined;
  const addTemperature = defaultTemperature !== undefined && options.temperature === undefined;
  if (addTool || addMaxTokens || addTemperature) {
    options = {
      ...options,
      ...(addTool && { tools: [...tools, hangupTool] }),
      ...(addMaxTokens && { max_tokens: defaultMaxTokens }),
      ...(addTemperature && { temperature: defaultTemperature }),
    };
  }
  return messages === call.messages && options === call.options && !extraBody ? call : { ...call, messages, options, extraBody };
}
