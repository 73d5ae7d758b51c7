/**
 * The least a refused body is drained by, however small MAX_BODY_BYTES is: with a limit of a few
 * KiB, a body two or three times over it would otherwise be cut off, and its client reset, while
 * it is still sending. Reading 1 MiB costs a few milliseconds; the deadline bounds a slow one.
 */
const MIN_DRAIN_BYTES = 1024 * 1024;

/**
 * Reads and drops what is left of a refused request's body, so the error answer reaches the
 * client: a server that answers while the upload is still arriving and then closes the
 * connection makes many clients (Node's fetch among them) report a reset instead of the answer.
 * That includes a body refused part-way, once it passed the limit (readBody leaves its rest
 * here). It reads no more than maxBytes more (at least MIN_DRAIN_BYTES), for no longer than a body may take (timeoutMs),
 * and nothing when the declared length is already over it: that connection is lost either way.
 */
export async function drainBody(request: Request, maxBytes: number, timeoutMs: number): Promise<void> {
  if (!request.body || request.body.locked || Number(request.headers.get("content-length") ?? "0") > maxBytes) return;
  const budget = Math.max(maxBytes, MIN_DRAIN_BYTES);
  const reader = request.body.getReader();
  // A slow refused upload is not waited for: cancelling ends the pending read and closes the connection.
  const deadline = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > budget) return void (await reader.cancel());
    }
  } catch {
    // The client went away mid-upload: there is no one left to answer.
  } finally {
    clearTimeout(deadline);
  }
}
