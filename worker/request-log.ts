import { asApiError } from "./http/api-error.ts";
import { statusOf } from "./http/error-response.ts";
import type { WorkerRequest } from "./http/worker-request.ts";

/** A detail is one short sentence; past this, something unbounded slipped into it, and log lines stay small. */
const MAX_DETAIL_CHARS = 300;

/** How a request ended, as the log line reports it. */
export type Outcome = "ok" | "error" | "fallback" | "cancelled";

/** What the routing step of a MODELS call did: the route, the target that answered, every target tried, whether a hedge fired. */
export interface Routed {
  model: string;
  target: string | null;
  attempts: readonly string[];
  hedged: boolean;
}

interface Described {
  route: "spec1" | "spec2";
  provider: string;
  instanceId?: string | undefined;
  channelId?: string | undefined;
  sentenceId?: string | number | undefined;
}

/**
 * The one structured line a request writes when it is over: for a stream that is when the
 * stream ends, not when its headers go out. It carries identifiers and timings only: never a
 * secret, never message content.
 */
export class RequestLog {
  readonly #startedAt = Date.now();
  #firstTokenAt: number | undefined;
  #described: Described | undefined;
  #routing: Routed | undefined;
  #written = false;
  /** Batches of deltas the model produced. */
  chunks = 0;

  readonly #requestId: string;

  constructor(requestId: string) {
    this.#requestId = requestId;
  }

  /** The log of this request, created on first use, so the route and the router's error handler share it. */
  static of(request: WorkerRequest): RequestLog {
    return (request.log ??= new RequestLog(request.requestId));
  }

  describe(described: Described): void {
    this.#described = described;
  }

  routed(routing: Routed): void {
    this.#routing = routing;
  }

  firstToken(): void {
    this.#firstTokenAt ??= Date.now();
  }

  /** Writes the line; later calls are ignored, so whoever sees the end first reports it. */
  write(status: number, outcome: Outcome, error?: { code: string; detail: string | undefined }): void {
    if (this.#written) return;
    this.#written = true;
    const line = {
      // A fallback answered the caller, but the model still failed: worth a look, not an alert.
      level: status >= 500 ? "error" : outcome === "fallback" ? "warn" : "info",
      requestId: this.#requestId,
      ...this.#described,
      // Undefined fields are left out of the line by JSON.stringify.
      routing: this.#routing,
      status,
      outcome,
      ttftMs: this.#firstTokenAt === undefined ? null : this.#firstTokenAt - this.#startedAt,
      durationMs: Date.now() - this.#startedAt,
      chunks: this.chunks,
      code: error?.code,
      detail: error?.detail?.slice(0, MAX_DETAIL_CHARS),
    };
    if (status >= 500) console.error(JSON.stringify(line));
    else console.log(JSON.stringify(line));
  }

  /** Writes the line for a request that failed with `error`. */
  fail(error: unknown): void {
    const apiError = asApiError(error);
    this.write(statusOf(apiError), "error", { code: apiError.code, detail: apiError.detail });
  }
}
