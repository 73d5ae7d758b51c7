import type { Config } from "../config.ts";
import { ApiError, asApiError } from "../http/api-error.ts";
import { statusOf } from "../http/error-response.ts";
import type { ChosenTarget, Delta } from "../providers/provider.ts";
import { ReplyFilter } from "./reply-filter.ts";
import type { Outcome, RequestLog } from "../request-log.ts";
import { UpstreamEvents } from "../sse/upstream-events.ts";

type Batch = readonly Delta[];

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
/** What the log reports for a reply whose caller went away: nginx's "client closed request". */
const CALLER_GONE_STATUS = 499;

/**
 * Wraps a provider's batches with what every provider gets alike: the first-token, idle and
 * total timeouts, the caller's abort, the spoken fallback and the request's log line. One
 * AbortController per request aborts the upstream whatever stopped it. One timer per request
 * is re-armed only when it fires, so a batch costs a timestamp and one promise, not a timer.
 * Each batch read passes through the reply's filter here, so both routes read filtered text.
 * On a route of several targets, the one that answers sets the rest: its idle and total
 * timeouts, its FALLBACK_TEXT and its speech filter.
 */
export class ReplyGuard implements AsyncIterator<Batch> {
  readonly #controller = new AbortController();
  readonly signal = this.#controller.signal;
  /** The read in progress: how it answers, and whether a failure is recovered (see read). */
  #resolveRead!: (result: IteratorResult<Batch>) => void;
  #rejectRead!: (error: unknown) => void;
  #recover = false;
  /** this.signal.aborted, kept in JavaScript: the runtime's getter is a native call per read. Only #abort aborts. */
  #aborted = false;
  #inner: AsyncIterator<Batch> | undefined;
  #settings: Config["stream"];
  readonly #log: RequestLog;
  #filter: ReplyFilter;
  readonly #startedAt: number;
  /** When the read in progress times out: the first-token deadline, then one idle gap per read. */
  #deadline: number;
  #waiting = false;
  #started = false;
  #over = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires; it must never be later than the deadline of the read in progress. */
  #armedFor = 0;

  constructor({ stream: settings, voice }: Config, log: RequestLog) {
    this.#settings = settings;
    this.#log = log;
    this.#filter = new ReplyFilter(voice);
    const now = Date.now();
    this.#startedAt = now;
    this.#deadline = now + settings.firstTokenTimeoutMs;
    // No later than one idle gap either: every read after the first token has a deadline at
    // least that far off, so in a reply that keeps to its deadlines this one timer is never
    // re-armed (the first read after the first token would otherwise move it forward).
    this.#arm(Math.min(this.#deadline, now + settings.idleTimeoutMs, this.#endsAt), now);
  }

  /** When the whole reply must be over: the total timeout of the settings it runs under, from the call's start. */
  get #endsAt(): number {
    return this.#startedAt + this.#settings.totalTimeoutMs;
  }

  #arm(at: number, now: number) {
    this.#armedFor = at;
    this.#timer = setTimeout(() => this.#check(), Math.max(1, at - now));
  }

  /** Moves the timer forward when it would fire after `at`; a timer due sooner stays (it re-arms itself when it fires). */
  #armBy(at: number, now: number) {
    if (this.#armedFor <= at || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#arm(at, now);
  }

  #check() {
    const now = Date.now();
    const { totalTimeoutMs, idleTimeoutMs, firstTokenTimeoutMs } = this.#settings;
    if (now >= this.#endsAt) {
      this.#abort(new ApiError("upstream_timeout", "The model did not finish its reply in time.", { detail: `total timeout ${totalTimeoutMs} ms` }));
    } else if (this.#waiting && now >= this.#deadline) {
      const error = this.#started
        ? new ApiError("upstream_timeout", "The model paused mid-reply for too long.", { detail: `idle timeout ${idleTimeoutMs} ms` })
        : new ApiError("upstream_timeout", "The model did not start its reply in time.", { detail: `first-token timeout ${firstTokenTimeoutMs} ms` });
      this.#abort(error);
    } else {
      // With no read in progress, the next one's deadline is at least an idle gap away.
      this.#arm(Math.min(this.#waiting ? this.#deadline : now + idleTimeoutMs, this.#endsAt), now);
    }
  }

  /**
   * The rest of the reply under the settings of the target that answered: its filter from the
   * first batch, its total timeout from now on and its idle gap from the next read (#read).
   */
  #runUnder({ stream, voice }: Config) {
    this.#settings = stream;
    this.#filter = new ReplyFilter(voice);
    this.#armBy(this.#endsAt, Date.now());
  }

  /** Reads from a provider call made with this.signal (again, for a retry). */
  attach(inner: AsyncIterator<Batch>): void {
    this.#inner = inner;
  }

  /**
   * The next batch under the deadlines. With `recover`, a failure is answered here, with the
   * fallback or as the reply's end; without, it is thrown as it is (for the first batch, which
   * the caller may retry). Its promise is the only one a batch costs: the event reader answers
   * into it directly (UpstreamEvents.pull), any other provider through one then().
   */
  #read(recover: boolean): Promise<IteratorResult<Batch>> {
    // A reply that is over (ended, failed, or its caller gone) reads nothing more.
    if (recover && this.#over) return Promise.resolve(DONE);
    if (this.#started) {
      const now = Date.now();
      this.#deadline = now + this.#settings.idleTimeoutMs;
      // Only after the first token can the timer be set later than this (for the first-token deadline).
      this.#armBy(this.#deadline, now);
    }
    return new Promise((resolve, reject) => {
      this.#recover = recover;
      this.#resolveRead = resolve;
      this.#rejectRead = reject;
      this.#waiting = true;
      const inner = this.#inner!;
      if (this.#aborted) this.#failed(this.signal.reason);
      else if (inner instanceof UpstreamEvents) inner.pull(this.#settled, this.#failed);
      else inner.next().then(this.#settled, this.#failed);
    });
  }

  // Bound once per reply, so a read allocates no closure. Each answers the read in progress
  // only: a result that comes after an abort already failed the read is dropped.
  readonly #settled = (result: IteratorResult<Batch>) => {
    if (!this.#waiting) return;
    this.#waiting = false;
    if (result.done) {
      this.#end(200, "ok");
      // Text the filter held back while a marker might still complete is the reply's last word.
      const tail = this.#filter.end();
      return this.#resolveRead(tail ? { done: false, value: [{ kind: "text", text: tail }] } : result);
    }
    if (!this.#started) {
      this.#started = true;
      this.#log.firstToken();
      const { chosen } = this.#inner as Partial<ChosenTarget>;
      if (chosen) this.#runUnder(chosen);
    }
    this.#log.chunks++;
    const value = this.#filter.batch(result.value);
    this.#resolveRead(value === result.value ? result : { done: false, value });
  };

  readonly #failed = (error: unknown) => {
    if (!this.#waiting) return;
    this.#waiting = false;
    if (!this.#recover) return this.#rejectRead(error);
    const spoken = this.fallback(error);
    if (spoken) this.#resolveRead({ done: false, value: spoken });
    else this.#rejectRead(this.fail(error));
  };

  /**
   * Whether the next read ends the reply (after any text the filter still holds): the reply is
   * over, or the model's stream ended whole. Only the event reader can tell; for any other
   * provider it is false until the reply is over.
   */
  get exhausted(): boolean {
    return this.#over || (this.#inner instanceof UpstreamEvents && this.#inner.drained);
  }

  /** The first batch. A failure is thrown as it is, so the caller may retry, fall back or fail. */
  async first(): Promise<Batch> {
    const result = await this.#read(false);
    return result.done ? [] : result.value;
  }

  next(): Promise<IteratorResult<Batch>> {
    return this.#read(true);
  }

  /** Whether a failure before the first token deserves another attempt: a connection failure or a 5xx, never a timeout or an abort. */
  retryable(error: unknown): boolean {
    return !this.signal.aborted && error instanceof ApiError && error.code === "upstream_unavailable";
  }

  /**
   * The configured sentence as the reply's last batch, in place of the model's failure (in a
   * voice call silence is the worst outcome). Undefined when none is configured or the reply
   * is already over (the caller hung up: nobody would hear it).
   */
  fallback(error: unknown): Batch | undefined {
    const text = this.#settings.fallbackText;
    const apiError = asApiError(error);
    // Only the model's failures: a misconfiguration or a bug stays an error an operator sees.
    if (text === undefined || this.#over || !apiError.code.startsWith("upstream_")) return undefined;
    this.#end(200, "fallback", apiError);
    const said = this.#filter.end();
    return [
      { kind: "text", text: this.#started ? `${said} ${text}` : text },
      { kind: "finish", reason: "stop" },
    ];
  }

  /** Ends the reply as failed; returns what to throw. */
  fail(error: unknown): unknown {
    if (this.#over) return error;
    const apiError = asApiError(error);
    this.#end(statusOf(apiError), "error", apiError);
    return apiError;
  }

  /** Stops the model at once: an ApiError counts as the reply's failure, anything else as the caller leaving. */
  stop(reason?: unknown): void {
    this.#abort(reason);
    if (reason instanceof ApiError) this.#end(statusOf(reason), "error", reason);
    else this.#end(CALLER_GONE_STATUS, "cancelled");
  }

  #end(status: number, outcome: Outcome, error?: ApiError) {
    if (this.#over) return;
    this.#over = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#log.write(status, outcome, error && { code: error.code, detail: error.detail });
    // Whatever the upstream still holds (a connection, a generation) is released.
    if (outcome !== "ok") this.#abort(error);
  }

  /**
   * Aborts the call (this.signal is this controller's alone) and fails the read in progress,
   * whether or not the provider notices its signal: called directly rather than from a listener
   * on the signal, which cost an addEventListener per request.
   */
  #abort(reason: unknown) {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller.abort(reason);
    this.#failed(this.signal.reason);
  }
}
