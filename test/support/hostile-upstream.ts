// A model server that answers every request with a generated hostile reply: OpenAI chunks
// whose numbers (tool-call indexes, usage counts, created, choice indexes) are extreme or of
// the wrong kind, error bodies quoting the key, and Retry-After values no client expects.
import fc from "fast-check";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const extreme = fc.constantFrom(0, 1, -1, 1.5, 1e300, -1e300, 4294967294, 100_000_000, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, "1", null, true, [], {});

const chunk = fc.record(
  {
    id: fc.constant("chatcmpl-x"),
    object: fc.constant("chat.completion.chunk"),
    created: extreme,
    model: fc.constant("m"),
    choices: fc.array(
      fc.record({
        index: extreme,
        delta: fc.record({ content: fc.oneof(fc.constant("hi"), extreme), tool_calls: fc.array(fc.record({ index: extreme, id: fc.constant("call_1"), type: fc.constant("function"), function: fc.record({ name: fc.constant("hangup"), arguments: fc.constant("{}") }) }), { maxLength: 3 }) }, { requiredKeys: [] }),
        finish_reason: fc.constantFrom(null, "stop", "tool_calls", "length"),
      }),
      { maxLength: 2 },
    ),
    usage: fc.record({ prompt_tokens: extreme, completion_tokens: extreme, total_tokens: extreme }),
  },
  { requiredKeys: ["choices"] },
);

/** One reply: a stream of such chunks, or an error status whose body and Retry-After are hostile. */
const reply = (key: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(chunk, { minLength: 1, maxLength: 6 }).map((chunks) => ({ status: 200, headers: { "content-type": "text/event-stream" }, body: chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join("") + "data: [DONE]\n\n" })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(400, 401, 429, 500, 503), fc.constantFrom("1e300", "-1", "abc", "4294967294", "0.5", "Wed, 21 Oct 2015 07:28:00 GMT")).map(([status, retryAfter]) => ({
        status,
        headers: { "content-type": "application/json", "retry-after": retryAfter },
        body: JSON.stringify({ error: { message: `bad key ${key}`, type: key, code: `${key}-${"x".repeat(2000)}` } }),
      })),
    },
  );

export interface HostileUpstream {
  url: string;
  close: () => Promise<void>;
}

/** Starts the server on 127.0.0.1; each request gets the next reply of a seeded sequence, so a run can be replayed. */
export async function startHostileUpstream(key: string, seed: number): Promise<HostileUpstream> {
  let n = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const [next] = fc.sample(reply(key), { numRuns: 1, seed: seed + n++ });
      response.writeHead(next!.status, next!.headers);
      response.end(next!.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
