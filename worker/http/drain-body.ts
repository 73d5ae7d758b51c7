/**
 * The least a refused body is drained by, however small MAX_BODY_BYTES is: with a limit of a few
 * KiB, a body two or three times over it would otherwise be cut off, and its client reset, while
 * it is still sending. Reading 1 MiB costs a few milliseconds; the deadline bounds a slow one.
 */
const MIN_DRAIN_BYTES = 1024 * 1024;

/**
 * Bytes per read of a refused body, into one buffer reused throughout: a default reader hands
 * workerd's body over 4 KiB at a time, a round trip into JavaScript each, which made draining
 * 2 MiB cost 14-20 ms of CPU and stalled every other caller of the isolate meanwhile.
 */
const DRAIN_READ_BYTES = 64 * 1024;

/**
 * Reads and drops what is left of a refused request's body, so the error answer reaches the
 * client: a server that answers while the upload is still arriving and then closes the
 * connection makes many clients (Node's fetch among them) report a reset instead of the answer.
 * That includes a body refused part-way, once it passed the limit (readBody leaves its rest
 * here). It reads no more than maxBytes more (at least MIN_DRAIN_BYTES), for no longer than a body may take (timeoutMs),
 * and nothing when the declared length is already over that: that connection is lost either way. A declared body
 * over a small limit is still read: unread, workerd closes the connection after the answer, and a client that has
 * already sent its next request on it (Node's fetch does) sees that request reset.
 */
export async function drainBody(request: Request, maxBytes: number, timeoutMs: number): Promise<void> {
  const budget = Math.max(maxBytes, MIN_DRAIN_BYTES);
  if (!request.body || request.body.locked || Number(request.headers.get("content-length") ?? "0") > budget) return;
  const reader = request.body.getReader({ mode: "byob" });
  // A slow refused upload is not waited for: cancelling ends the pending read and closes the connection.
  const deadline = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  let size = 0;
  let buffer = new ArrayBuffer(DRAIN_READ_BYTES);
  try {
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffer));
      if (done) return;
      size += value.byteLength;
      if (size > budget) return void (await reader.cancel());
      buffer = value.buffer as ArrayBuffer;
    }
  } catch {
    // The client went away mid-upload: there is no one left to answer.
  } finally {
    clearTimeout(deadline);
  }
}
