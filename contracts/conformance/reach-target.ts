import { failureOf } from "./failure-of.ts";
import { chatCompletionsUrl, type Target } from "./target.ts";

/** The URL the checks call: the one IMS would call for this target. */
export const endpointOf = (target: Pick<Target, "spec" | "url">) => (target.spec === "openai" ? chatCompletionsUrl(target.url) : target.url);

/**
 * One plain GET before any check, so that a wrong URL, a refused connection or a dead host is
 * reported once as "unreachable" (exit 2) rather than as every check failing. Any HTTP answer,
 * even a 404 or 405, means the server is there.
 *
 * @returns null when reachable, else the reason.
 */
export async function reachTarget(target: Target): Promise<string | null> {
  try {
    const response = await target.fetch(endpointOf(target), { method: "GET", signal: AbortSignal.timeout(target.timeoutMs) });
    await response.body?.cancel();
    return null;
  } catch (error) {
    return failureOf(error);
  }
}
