import type { ChatMessage } from "../../contracts/openai/chat-request.ts";
import { plainText } from "./plain-text.ts";
import type { Delta, Provider } from "./provider.ts";

/** Small enough that even a short reply visibly arrives in several chunks. */
const WORDS_PER_CHUNK = 3;
/** Keeps the echoed quote a sentence long, whatever the caller sent. */
const MAX_QUOTE_CHARS = 120;

function lastUserText(messages: readonly ChatMessage[]): { text: string; images: number } {
  const message = messages.findLast((one) => one.role === "user");
  if (message?.role !== "user") return { text: "", images: 0 };
  const images = typeof message.content === "string" ? 0 : message.content.filter((part) => part.type === "image_url").length;
  return { text: plainText(message.content), images };
}

/** The demo's reply to a conversation: deterministic, so tests and curl users see the same text. */
export function demoReply(messages: readonly ChatMessage[]): string {
  const { text, images } = lastUserText(messages);
  const said = text.replace(/\s+/g, " ").trim();
  const quote = said.length > MAX_QUOTE_CHARS ? `${said.slice(0, MAX_QUOTE_CHARS)}...` : said;
  const heard = quote ? `You said: "${quote}".` : "I did not hear a question.";
  const seen = images ? ` I received ${images} image${images === 1 ? "" : "s"}.` : "";
  return `This is the ims-llm-edge demo model. ${heard}${seen} Set MODEL_PROVIDER to connect your own model.`;
}

/**
 * A built-in model that needs no upstream: it streams demoReply() a few words per chunk, so
 * both routes work end to end on a fresh checkout. It is a demo, not a language model.
 */
export const demo: Provider = async function* ({ messages, signal }) {
  const words = demoReply(messages).split(" ");
  for (let i = 0; i < words.length; i += WORDS_PER_CHUNK) {
    if (signal.aborted) return;
    yield [{ kind: "text", text: (i === 0 ? "" : " ") + words.slice(i, i + WORDS_PER_CHUNK).join(" ") }];
  }
  const promptWords = messages.reduce((count, message) => count + JSON.stringify(message.content ?? "").split(/\s+/).length, 0);
  const finish: Delta[] = [
    { kind: "finish", reason: "stop" },
    // The demo counts words as tokens; real providers report their tokenizer's counts.
    { kind: "usage", promptTokens: promptWords, completionTokens: words.length },
  ];
  yield finish;
};
