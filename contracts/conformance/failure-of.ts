/**
 * A network failure in words a partner can act on. Node's fetch reports every connection
 * fault as "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, a TLS error) in
 * `cause`, which is the part worth printing; a timeout names the option that sets it.
 */
export function failureOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "no complete answer within --timeout-ms";
  const cause = error.cause instanceof Error ? error.cause : undefined;
  if (!cause) return error.message;
  const code = (cause as { code?: unknown }).code;
  return `${error.message}: ${typeof code === "string" && !cause.message.includes(code) ? `${code} ` : ""}${cause.message}`;
}
