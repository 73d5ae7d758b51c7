import { ApiError } from "../http/api-error.ts";
import { readBody } from "../http/read-body.ts";
import { isRecord } from "./is-record.ts";
import { reportedError } from "./reported-error.ts";

const tooLarge = (maxBytes: number) =>
  new ApiError("upstream_error", "The model sent an answer larger than this worker accepts.", { detail: `JSON answer over MAX_EVENT_BYTES (${maxBytes})` });

/** Whether the upstream answered with JSON rather than the event stream it was asked for. */
export const isJsonAnswer = (response: Response) => /json/i.test(response.headers.get("content-type") ?? "");

/**
 * A JSON answer to a streaming request, as the event stream it stands for. A server that
 * ignores `stream: true` answers one whole chat.completion, and that is a good reply: it
 * becomes the one chunk it is equivalent to, read like any other. A server that answers 200
 * with an error body (OpenAI `invalid_api_key`, DashScope `InvalidApiKey`) fails with the
 * code it named. Bounded by MAX_EVENT_BYTES, as one event would be.
 */
export async function wholeReplyEvents(response: Response, maxBytes: number): Promise<ReadableStream<Uint8Array>> {
  const text = new TextDecoder().decode(await readBody(response, maxBytes, { tooLarge }));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError("upstream_error", "The model server answered with malformed JSON.", { detail: `HTTP 200 non-JSON body (${text.length} chars)` });
  }
  const choice = isRecord(body) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isRecord(body) || body.error != null || !isRecord(choice) || !isRecord(choice.message)) throw reportedError(body, "HTTP 200 error body");
  const chunk = { choices: [{ index: 0, delta: choice.message, finish_reason: choice.finish_reason ?? "stop" }], usage: body.usage, x_groq: body.x_groq };
  return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`).body!;
}
