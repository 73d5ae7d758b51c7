import type { ChatMessage } from "../../contracts/openai/chat-request.ts";
import type { FormMessage } from "../../contracts/alibaba/form-request.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import { readBody } from "../http/read-body.ts";
import { isRecord } from "../is-record.ts";
import { plainText } from "./plain-text.ts";
import { reportedKind } from "./reported-error.ts";
import type { ModelCall, Provider } from "./provider.ts";
import { upstreamFetch, upstreamUrl } from "./upstream-http.ts";

/** Spec 2 knows only these roles and plain-text content. */
function formMessages(messages: readonly ChatMessage[]): FormMessage[] {
  const out: FormMessage[] = [];
  for (const message of messages) {
    // Tool calls and their results have no place in Spec 2; the spoken turns carry the conversation.
    if (message.role === "tool" || message.role === "function") continue;
    const content = plainText(message.content);
    if (message.role === "assistant" && content === "") continue;
    out.push({ role: message.role === "developer" ? "system" : message.role, content });
  }
  return out;
}

/** The form IMS itself would POST: Message and ExtendData as JSON strings, Token when one is configured. */
function imsForm(call: ModelCall, config: Config): URLSearchParams {
  const form = new URLSearchParams({ Message: JSON.stringify(formMessages(call.messages)) });
  if (config.upstream.apiKey) form.set("Token", config.upstream.apiKey);
  // JSON leaves out what is undefined.
  form.set("ExtendData", JSON.stringify({ InstanceId: call.ims?.instanceId, UserData: call.ims?.userData }));
  return form;
}

/** The reply's size cap in bytes: UTF-8 spends at most 4 bytes on a character. */
const maxReplyBytes = (maxChars: number) => maxChars * 4 + 1024;

const replyTooLarge = (maxChars: number) => () =>
  new ApiError("upstream_error", `The model's reply exceeded ${maxChars} characters (MAX_REPLY_CHARS).`, { detail: "Spec 2 reply over the cap" });

// A connection reset mid-answer is the upstream failing, retried before the first token like a refused
// connection; a read cut by a timeout is reported as the timeout by the reply's guard.
const replyBroken = () => new ApiError("upstream_unavailable", "The Spec 2 server's answer broke off.");

const badReply = (detail: string) => new ApiError("upstream_error", 'The Spec 2 server did not answer with {"Text": ...}.', { detail });

/**
 * An existing Spec 2 server at UPSTREAM_BASE_URL (POSTed to exactly that URL, as IMS does),
 * so a team that already runs one gets a streaming Spec 1 endpoint in front of it. Spec 2
 * answers all at once, so the reply is one batch; the Token is UPSTREAM_API_KEY.
 */
export const alibabaBridge: Provider = async function* (call, config) {
  const response = await upstreamFetch(upstreamUrl(config), { method: "POST", body: imsForm(call, config) }, call.signal);
  const { maxReplyChars } = config.limits;
  const text = new TextDecoder().decode(await readBody(response, maxReplyBytes(maxReplyChars), { tooLarge: replyTooLarge(maxReplyChars), broken: replyBroken }));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badReply(`non-JSON body (${text.length} chars)`);
  }
  if (!isRecord(body) || typeof body.Text !== "string") throw badReply(reportedKind(body).detail);
  yield body.Text ? [{ kind: "text", text: body.Text }, { kind: "finish", reason: "stop" }] : [{ kind: "finish", reason: "stop" }];
};
