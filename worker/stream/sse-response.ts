import { asApiError } from "../http/api-error.ts";
import type { StartedReply } from "./start-reply.ts";
import type { ChunkFramer } from "./chunk-framer.ts";

const encoder = new TextEncoder();

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // identity: a compressing proxy would hold events back until its buffer fills.
  "content-encoding": "identity",
  "x-accel-buffering": "no",
};

/**
 * The Spec 1 streaming response. One pull reads one batch from the model and enqueues its
 * events as one chunk: no intermediate stream stages, no buffering. When the caller goes
 * away the model is stopped at once.
 */
export function sseResponse(reply: StartedReply, framer: ChunkFramer, headers: Record<string, string>): Response {
  let first: StartedReply["first"] | undefined = reply.first;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (first) {
          controller.enqueue(encoder.encode(framer.frame(first)));
          first = undefined;
          return;
        }
        const next = await reply.rest.next();
        if (cancelled) return;
        if (next.done) {
          controller.enqueue(encoder.encode(framer.end()));
          controller.close();
          return;
        }
        const events = framer.frame(next.value);
        if (events) controller.enqueue(encoder.encode(events));
      } catch (error) {
        if (cancelled) return;
        reply.stop(error);
        controller.enqueue(encoder.encode(framer.fail(asApiError(error))));
        controller.close();
      }
    },
    cancel(reason) {
      cancelled = true;
      reply.stop(reason);
    },
  });
  return new Response(body, { status: 200, headers: { ...SSE_HEADERS, ...headers } });
}
