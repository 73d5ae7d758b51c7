import { failureOf } from "./failure-of.ts";

/**
 * A spoken reply lasts seconds: a stream still open after two minutes is treated as never
 * ending, so a server that trickles bytes forever cannot hang the checker.
 */
const STREAM_LIMIT_MS = 120_000;

export interface StreamLine {
  text: string;
  /** Milliseconds since the request was sent. */
  at: number;
}

export interface StreamRead {
  lines: StreamLine[];
  /**
   * eof: the server closed the stream; stall: nothing arrived for the timeout; limit: still
   * open after STREAM_LIMIT_MS; error: the connection broke.
   */
  end: "eof" | "stall" | "limit" | "error";
  error?: string;
  elapsed: number;
}

/**
 * Reads a response body line by line, stamping each line with its arrival time. This is a
 * checker, not a client: it keeps every line exactly as sent (CR and all, minus the LF),
 * so framing faults stay visible instead of being smoothed over.
 */
export async function readEventStream(body: ReadableStream<Uint8Array>, startedAt: number, stallMs: number, onLine?: (line: StreamLine) => void): Promise<StreamRead> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const lines: StreamLine[] = [];
  let pending = "";
  const push = (text: string) => {
    const line = { text, at: performance.now() - startedAt };
    lines.push(line);
    onLine?.(line);
  };
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const left = STREAM_LIMIT_MS - (performance.now() - startedAt);
    const quiet: "stall" | "limit" = left < stallMs ? "limit" : "stall";
    const stalled = new Promise<typeof quiet>((resolve) => (timer = setTimeout(() => resolve(quiet), Math.max(0, Math.min(stallMs, left)))));
    let result: ReadableStreamReadResult<Uint8Array> | "stall" | "limit";
    try {
      result = await Promise.race([reader.read(), stalled]);
    } catch (error) {
      clearTimeout(timer);
      if (pending) push(pending);
      return { lines, end: "error", error: failureOf(error), elapsed: performance.now() - startedAt };
    }
    clearTimeout(timer);
    if (result === "stall" || result === "limit") {
      // Hang up without waiting on it: the checker must not depend on the server to let go.
      reader.cancel().catch(() => undefined);
      if (pending) push(pending);
      return { lines, end: result, elapsed: performance.now() - startedAt };
    }
    if (result.done) break;
    pending += decoder.decode(result.value, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      push(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
  }
  pending += decoder.decode();
  if (pending) push(pending);
  return { lines, end: "eof", elapsed: performance.now() - startedAt };
}
