export interface StreamLine {
  text: string;
  /** Milliseconds since the request was sent. */
  at: number;
}

export interface StreamRead {
  lines: StreamLine[];
  /** eof: the server closed the stream; stall: nothing arrived for the timeout; error: the connection broke. */
  end: "eof" | "stall" | "error";
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
    const stalled = new Promise<"stall">((resolve) => (timer = setTimeout(() => resolve("stall"), stallMs)));
    let result: ReadableStreamReadResult<Uint8Array> | "stall";
    try {
      result = await Promise.race([reader.read(), stalled]);
    } catch (error) {
      clearTimeout(timer);
      if (pending) push(pending);
      return { lines, end: "error", error: (error as Error).message, elapsed: performance.now() - startedAt };
    }
    clearTimeout(timer);
    if (result === "stall") {
      await reader.cancel().catch(() => undefined);
      if (pending) push(pending);
      return { lines, end: "stall", elapsed: performance.now() - startedAt };
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
