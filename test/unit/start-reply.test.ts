// The guard every provider's reply goes through, with providers that misbehave on purpose:
// timeouts hold even for a provider that ignores its abort signal, retries happen only
// before the first token, and the log line says how the reply ended.
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../worker/config.ts";
import { ApiError } from "../../worker/http/api-error.ts";
import type { Delta, Provider } from "../../worker/providers/provider.ts";
import { RequestLog } from "../../worker/request-log.ts";
import { startReply } from "../../worker/reply/start-reply.ts";

const config = (vars: Record<string, string> = {}) => parseConfig({ FIRST_TOKEN_TIMEOUT_MS: "100", IDLE_TIMEOUT_MS: "100", TOTAL_TIMEOUT_MS: "1000", ...vars });
const call = { messages: [{ role: "user" as const, content: "hi" }], model: "m", options: {} };
const text = (value: string): Delta[] => [{ kind: "text", text: value }];
const never = () => new Promise<never>(() => undefined);

/** Runs startReply and collects what the log wrote. */
async function run(provider: Provider, vars: Record<string, string> = {}, signal?: AbortSignal) {
  const lines: Record<string, unknown>[] = [];
  const capture = (message: string) => void lines.push(JSON.parse(message) as Record<string, unknown>);
  const log = vi.spyOn(console, "log").mockImplementation(capture);
  const error = vi.spyOn(console, "error").mockImplementation(capture);
  try {
    const reply = await startReply(provider, call, config(vars), signal, new RequestLog("r-1"));
    const batches = [reply.first];
    for (let next = await reply.rest.next(); !next.done; next = await reply.rest.next()) batches.push(next.value);
    return { batches, lines };
  } catch (thrown) {
    return { thrown, lines };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe("startReply", () => {
  it("times out the first token even when the provider ignores its signal", async () => {
    const { thrown, lines } = await run(async function* () {
      await never();
    });
    expect(thrown).toMatchObject({ code: "upstream_timeout" });
    expect(lines).toEqual([expect.objectContaining({ status: 504, outcome: "error", code: "upstream_timeout", detail: "first-token timeout 100 ms" })]);
  });

  it("times out a silent gap after the first token, even when the provider ignores its signal", async () => {
    const { thrown, lines } = await run(async function* () {
      yield text("Hello");
      await never();
    });
    expect(thrown).toMatchObject({ code: "upstream_timeout" });
    expect(lines).toEqual([expect.objectContaining({ outcome: "error", detail: "idle timeout 100 ms", chunks: 1 })]);
  });

  it("retries a connection failure before the first token, once by default", async () => {
    let attempts = 0;
    const { batches } = await run(async function* () {
      if (++attempts === 1) throw new ApiError("upstream_unavailable", "down");
      yield text("Hello");
    });
    expect(attempts).toBe(2);
    expect(batches).toEqual([text("Hello")]);
  });

  it("does not retry when UPSTREAM_RETRIES is 0, nor a timeout, nor after the first token", async () => {
    let attempts = 0;
    const failing: Provider = async function* () {
      attempts++;
      throw new ApiError("upstream_unavailable", "down");
    };
    expect((await run(failing, { UPSTREAM_RETRIES: "0" })).thrown).toMatchObject({ code: "upstream_unavailable" });
    expect(attempts).toBe(1);

    attempts = 0;
    await run(async function* () {
      attempts++;
      await never();
    });
    expect(attempts).toBe(1);

    attempts = 0;
    const { thrown } = await run(async function* () {
      attempts++;
      yield text("Hello");
      throw new ApiError("upstream_unavailable", "dropped");
    });
    expect(thrown).toMatchObject({ code: "upstream_unavailable" });
    expect(attempts).toBe(1);
  });

  it("speaks FALLBACK_TEXT instead of failing, and logs the failure as a fallback", async () => {
    const { batches, lines } = await run(
      async function* () {
        yield text("Hello");
        throw new ApiError("upstream_error", "broken");
      },
      { FALLBACK_TEXT: "Sorry." },
    );
    expect(batches).toEqual([text("Hello"), [{ kind: "text", text: " Sorry." }, { kind: "finish", reason: "stop" }]]);
    expect(lines).toEqual([expect.objectContaining({ level: "warn", status: 200, outcome: "fallback", code: "upstream_error" })]);
  });

  it("a caller who hangs up aborts the provider's signal and is logged as cancelled, not spoken to", async () => {
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    const pending = run(
      async function* ({ signal }) {
        seen = signal;
        await never();
      },
      { FALLBACK_TEXT: "Sorry.", FIRST_TOKEN_TIMEOUT_MS: "5000" },
      caller.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    caller.abort();
    const { thrown, lines } = await pending;
    expect(seen?.aborted).toBe(true);
    expect(thrown).toBeDefined();
    expect(lines).toEqual([expect.objectContaining({ status: 499, outcome: "cancelled" })]);
  });
});
