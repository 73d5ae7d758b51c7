import fc from "fast-check";
import { fuzzRequests, type FuzzRequest } from "./fuzz-requests.ts";
import { schemaViolation } from "./published-schemas.ts";
import { sendRaw } from "./send-raw.ts";
import type { Target } from "./target.ts";

export interface FuzzReport {
  /** Requests sent, including those fast-check sent to shrink a failure. */
  requests: number;
  /**
   * How many answers had each status code; "resent" counts requests sent again after a
   * connection reset, "remeasured" those sent again because their first send cost over maxCpuMs.
   */
  statuses: Record<string, number>;
  /** The smallest failing request and what was wrong with the answer, when one failed. */
  failure: string | undefined;
  /** The most CPU one request cost the target, in ms, when the caller could measure it (options.cpuMs); a remeasured request counts by its second send. */
  maxCpuMs: number | undefined;
  /** That request, shortened as a failing one is shown. */
  costliest: string | undefined;
}

/** What is wrong with an answer to a generated request, or undefined when it is acceptable. */
/** A 502 or 504 that names the model server as the failure (OpenAI `upstream_*` codes, Spec 2 `Upstream*`). */
const isUpstreamFailure = (response: Response, text: string) => (response.status === 502 || response.status === 504) && /"(?:code|Code)":"(?:upstream_|Upstream)/.test(text);

function fault(spec: Target["spec"], response: Response, text: string, upstreamFailures: boolean): string | undefined {
  if (response.status >= 500 && !(upstreamFailures && isUpstreamFailure(response, text))) return `status ${response.status}`;
  if (response.status >= 400) {
    if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) return `error without a JSON body (${response.headers.get("content-type")})`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return "error body is not JSON";
    }
    const violation = schemaViolation(spec === "openai" ? "openai-error" : "alibaba-error", body);
    return violation ? `error body violates the published schema: ${violation}` : undefined;
  }
  if (response.status !== 200) return `status ${response.status}`;
  if (spec === "alibaba") return schemaViolation("alibaba-text-response", JSON.parse(text)) ?? undefined;
  if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    return text.endsWith("data: [DONE]\n\n") ? undefined : "stream did not end with data: [DONE]";
  }
  return schemaViolation("openai-chat-completion", JSON.parse(text)) ?? undefined;
}

async function send(target: Target, request: FuzzRequest): Promise<{ response: Response | undefined; text: string }> {
  if (request.wire) return sendRaw({ ...request, wire: request.wire }, target.timeoutMs);
  // The signal covers the body too: a stream that never ends is a hang, not a pass.
  const response = await target.fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal: AbortSignal.timeout(target.timeoutMs) });
  return { response, text: await response.text() };
}

const causeOf = (error: unknown) => (error instanceof Error && error.cause instanceof Error ? error.cause : undefined);

const isReset = (error: unknown) => {
  const code = (causeOf(error) as { code?: unknown } | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET";
};

/**
 * A request that got no answer. The target's CPU over the wait, when the caller can read it,
 * tells a target busy with this request (or stuck in a loop) from one that stalled.
 */
const noAnswer = (target: Target, error: unknown, cpuMs: number | undefined) =>
  new Error(
    `no answer (time limit ${target.timeoutMs} ms): ${error instanceof Error ? error.message : String(error)}${causeOf(error) ? ` (${causeOf(error)!.message})` : ""}` +
      (cpuMs === undefined ? "" : `; the target spent ${cpuMs} ms of CPU meanwhile`),
  );

/** How a failing request is shown: its shape, with long text shortened. */
const describeRequest = (request: FuzzRequest) =>
  JSON.stringify({ ...request, body: typeof request.body === "string" ? request.body.slice(0, 500) : request.body && `<${request.body.length} bytes>` });

export interface FuzzOptions {
  runs: number;
  seed?: number;
  /** The target's CPU time so far, in ms, where the caller can read it (a local process). */
  cpuMs?: () => number;
  /** The most CPU one request may cost, on its first send and again on a second; more is unbounded work. */
  maxCpuMs?: number;
  /** A 502/504 that blames the model server is its fault, not the target's (for a target behind a hostile upstream). */
  upstreamFailures?: boolean;
  /** Strings no answer may contain (the target's configured keys, when the caller knows them). */
  secrets?: readonly string[];
  /**
   * How long the whole run, shrinking included, may take; past it the run stops and fails with
   * what it found so far. Shrinking a hang repeats a request that takes the full timeout each time,
   * so without a bound a caller's own time limit ends the run first and the failure is never told.
   */
  timeLimitMs?: number;
}

/**
 * Sends `runs` generated requests to the target, one at a time, and holds every answer to the
 * contract: never a 5xx, never slower than target.timeoutMs (a hang), every error body valid
 * against the published error schema, every success a well-formed answer.
 */
export async function fuzzTarget(target: Target, options: FuzzOptions): Promise<FuzzReport> {
  const statuses: Record<string, number> = {};
  let requests = 0;
  let maxCpuMs: number | undefined;
  let costliest: string | undefined;
  const property = fc.asyncProperty(fuzzRequests(target), async (request) => {
    requests++;
    const cpuBefore = options.cpuMs?.();
    const spentSoFar = () => (cpuBefore === undefined ? undefined : options.cpuMs!() - cpuBefore);
    let answer: { response: Response | undefined; text: string };
    try {
      answer = await send(target, request);
    } catch (error) {
      if (!isReset(error)) throw noAnswer(target, error, spentSoFar());
      // A server may close a keep-alive connection after refusing a body it did not read; a
      // client that reused that connection sees a reset. That is transport, not an answer, so
      // the request is sent once more, on a new connection, and counted.
      statuses.resent = (statuses.resent ?? 0) + 1;
      answer = await send(target, request).catch((again: unknown) => {
        throw noAnswer(target, again, spentSoFar());
      });
    }
    let spent = spentSoFar();
    if (spent !== undefined && options.maxCpuMs !== undefined && spent > options.maxCpuMs) {
      // The window also holds whatever else the target did meanwhile (collecting earlier
      // requests' garbage, compiling): that does not come back when the request is sent again,
      // while work the request itself causes costs as much every time.
      statuses.remeasured = (statuses.remeasured ?? 0) + 1;
      const first = spent;
      const before = options.cpuMs!();
      await send(target, request).catch(() => undefined);
      spent = options.cpuMs!() - before;
      if (spent > options.maxCpuMs) throw new Error(`the request cost ${first} ms of CPU, and ${spent} ms sent again (at most ${options.maxCpuMs} allowed)`);
    }
    if (spent !== undefined && (maxCpuMs === undefined || spent > maxCpuMs)) {
      maxCpuMs = spent;
      costliest = describeRequest(request);
    }
    const { response, text } = answer;
    // A broken upload may be answered with nothing: the server closed the connection of a client it could not read.
    if (!response) return void (statuses.closed = (statuses.closed ?? 0) + 1);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    const problem = fault(target.spec, response, text, options.upstreamFailures === true);
    if (problem) throw new Error(`${problem}; answer ${text.slice(0, 300)}`);
    const leaked = options.secrets?.find((secret) => text.includes(secret) || [...response.headers.values()].some((value) => value.includes(secret)));
    if (leaked !== undefined) throw new Error("the answer holds a configured secret");
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    ...(options.seed !== undefined && { seed: options.seed }),
    // The plugin is typed for any property (Plugin<unknown>), which TypeScript will not narrow to this one's.
    ...(options.timeLimitMs !== undefined && { plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs) as fc.Plugin<[FuzzRequest]>] }),
  });
  const example = details.counterexample?.[0];
  // An interrupted run that found nothing counts as passed by fast-check; here it has not passed.
  const failure = details.failed
    ? `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)} (seed ${details.seed}, path ${details.counterexamplePath}) for ${example ? describeRequest(example) : "?"}${details.interrupted ? " (shrinking cut short by the time limit)" : ""}`
    : details.interrupted
      ? `the run did not finish within ${options.timeLimitMs} ms: ${requests} requests sent, no failure found (seed ${details.seed})`
      : undefined;
  return { requests, statuses, failure, maxCpuMs, costliest };
}
