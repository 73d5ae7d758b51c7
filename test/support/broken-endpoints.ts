import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

export interface BrokenEndpoint {
  spec: "openai" | "alibaba";
  /** The check that must catch it (a MUST, so the run exits 1). */
  caughtBy: string;
  handler: RequestListener;
}

const CREATED = 1_764_000_000;
const REPLY = ["Tomorrow ", "will be ", "sunny."];

/** One chat.completion.chunk, as a correct server writes it. */
const chunk = (id: string, delta: Record<string, unknown>, finishReason: string | null = null) =>
  `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: CREATED, model: "m", choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;

/** The events of a correct reply; `idOf` lets a broken server vary the id per chunk. */
const replyEvents = (idOf: (index: number) => string) => [
  chunk(idOf(0), { role: "assistant", content: "" }),
  ...REPLY.map((content, index) => chunk(idOf(index + 1), { content })),
  chunk(idOf(REPLY.length + 1), {}, "stop"),
];

/** Answers everything but a POST with 404, and reads the request body first, as servers do. */
const onPost = (answer: (response: ServerResponse) => void): RequestListener => (request: IncomingMessage, response: ServerResponse) => {
  if (request.method !== "POST") {
    response.writeHead(404).end();
    return;
  }
  request.resume();
  request.on("end", () => answer(response));
};

const eventStream = (response: ServerResponse) => response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });

/** Servers with one fault each, the faults partners' servers are known to have. */
export const brokenEndpoints: Record<string, BrokenEndpoint> = {
  "stream without [DONE]": {
    spec: "openai",
    caughtBy: "openai.done-once",
    handler: onPost((response) => {
      eventStream(response);
      response.end(replyEvents(() => "chatcmpl-1").join(""));
    }),
  },
  "chunk ids that change": {
    spec: "openai",
    caughtBy: "openai.stable-identity",
    handler: onPost((response) => {
      eventStream(response);
      response.end([...replyEvents((index) => `chatcmpl-${index}`), "data: [DONE]\n\n"].join(""));
    }),
  },
  "JSON chat.completion instead of a stream": {
    spec: "openai",
    caughtBy: "openai.event-stream",
    handler: onPost((response) => {
      const completion = { id: "chatcmpl-1", object: "chat.completion", created: CREATED, model: "m", choices: [{ index: 0, message: { role: "assistant", content: REPLY.join("") }, finish_reason: "stop" }] };
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(completion));
    }),
  },
  "stream that stalls": {
    spec: "openai",
    caughtBy: "openai.no-stall",
    handler: onPost((response) => {
      eventStream(response);
      // The first two events, then silence with the connection held open.
      response.write(replyEvents(() => "chatcmpl-1").slice(0, 2).join(""));
    }),
  },
  "event stream with an empty body": {
    spec: "openai",
    caughtBy: "openai.done-once",
    handler: onPost((response) => {
      eventStream(response);
      response.end();
    }),
  },
  "plain text instead of {\"Text\"}": {
    spec: "alibaba",
    caughtBy: "alibaba.urlencoded",
    handler: onPost((response) => response.writeHead(200, { "content-type": "text/plain" }).end(REPLY.join(""))),
  },
  "200 with an empty body": {
    spec: "alibaba",
    caughtBy: "alibaba.urlencoded",
    handler: onPost((response) => response.writeHead(200).end()),
  },
};
