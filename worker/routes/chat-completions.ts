import type { WorkerRequest } from "../http/worker-request.ts";
import type { ChatCompletion } from "../../contracts/openai/chat-completion.ts";
import { readConfig, type Env } from "../config.ts";
import { authorize, openaiKeyOf } from "../http/authorize.ts";
import { checkMessages } from "../http/check-messages.ts";
import { readJson } from "../http/read-json.ts";
import { chatRequestCheck } from "../http/request-checks.ts";
import { validate } from "../http/validate.ts";
import { rateLimit } from "../security/rate-limit.ts";
import { chooseModel } from "../routing/choose-model.ts";
import { knownTurns } from "../providers/known-turns.ts";
import { ChunkFramer } from "../sse/chunk-framer.ts";
import { collectReply, type Reply } from "../reply/collect-reply.ts";
import { RequestLog } from "../request-log.ts";
import { sseResponse } from "../sse/sse-response.ts";
import { startReply } from "../reply/start-reply.ts";

/** Spec 1: POST {prefix}/chat/completions, an OpenAI chat-completions request, streamed back as SSE. */
export async function chatCompletions(request: WorkerRequest, env: Env): Promise<Response> {
  const config = readConfig(env);
  const key = openaiKeyOf(request);
  authorize(key, { accepted: config.apiKeys, setting: "API_KEYS", allowUnauthenticated: config.allowUnauthenticated });
  const { model, messages, stream, extendData, ...options } = validate(chatRequestCheck, await readJson(request, config.limits));
  checkMessages(messages, "messages", config.limits);
  const { instanceId, channelId, sentenceId, userData } = extendData ?? {};
  const log = RequestLog.of(request);
  const chosen = chooseModel(config, { spec: "spec1", name: model, credential: key, conversation: instanceId ?? undefined }, log);
  log.describe({ route: "spec1", provider: chosen.config.provider, instanceId: instanceId ?? undefined, channelId: channelId ?? undefined, sentenceId: sentenceId ?? undefined });
  await rateLimit(env, config, request, { route: "openai", credential: config.apiKeys.length ? key : undefined, instanceId: instanceId ?? undefined });
  const servedModel = chosen.config.upstream.model ?? model;
  const ims = { instanceId: instanceId ?? undefined, userData: userData ?? undefined };
  // A collected reply asks for usage, which it returns; a stream sends it only when the caller asked.
  if (!stream) options.stream_options = { ...options.stream_options, include_usage: true };
  const reply = await startReply(chosen.provider, { messages: knownTurns(messages), model: servedModel, options, ims }, chosen.config, request.signal, log);
  const id = `chatcmpl-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (stream) return sseResponse(reply, new ChunkFramer(id, created, servedModel, options.stream_options?.include_usage === true));
  const body = completionBody(id, created, servedModel, await collectReply(reply, config.limits.maxReplyChars));
  return Response.json(body);
}

/** The `stream: false` answer: the collected reply as one chat.completion object (undefined fields stay out of its JSON). */
export const completionBody = (id: string, created: number, model: string, reply: Reply): ChatCompletion => ({
  id,
  object: "chat.completion",
  created,
  model,
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: reply.text === "" && reply.toolCalls.length ? null : reply.text,
        tool_calls: reply.toolCalls.length > 0 ? reply.toolCalls : undefined,
      },
      finish_reason: reply.finishReason,
    },
  ],
  usage: reply.usage,
});
