// What the RATE_LIMITER binding is given: a hash, never a credential or an address, since
// limiter keys show up in Cloudflare's analytics.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig, type Env } from "../../worker/config.ts";
import { ApiError } from "../../worker/http/api-error.ts";
import { meterFailedAuth, rateLimit } from "../../worker/security/rate-limit.ts";

const CREDENTIAL = "sk-rate-limit-credential-5521";
const ADDRESS = "203.0.113.77";

/** A stand-in binding that records each key it is given and refuses once `budget` is spent. */
function recordingLimiter(budget = Infinity) {
  const keys: string[] = [];
  return { keys, limit: async ({ key }: { key: string }) => ({ success: keys.push(key) <= budget }) };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex").slice(0, 32);
const request = () => new Request("http://worker/v1/chat/completions", { method: "POST", headers: { "cf-connecting-ip": ADDRESS } });
/** Every 6-character piece of a secret: none may appear in a key. */
const pieces = (secret: string) => Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));

describe("rate limiter keys", () => {
  it("a call spends from the SHA-256 of its credential, never the credential", async () => {
    const limiter = recordingLimiter();
    const env: Env = { RATE_LIMITER: limiter };
    await rateLimit(env, parseConfig(env), request(), { route: "openai", credential: CREDENTIAL, instanceId: "i-1" });
    expect(limiter.keys).toEqual([`openai:${sha256(`credential\n${CREDENTIAL}\n`)}`]);
    for (const piece of pieces(CREDENTIAL)) expect(limiter.keys[0]).not.toContain(piece);
  });

  it("an open route spends from the SHA-256 of the client address", async () => {
    const limiter = recordingLimiter();
    const env: Env = { RATE_LIMITER: limiter };
    await rateLimit(env, parseConfig(env), request(), { route: "alibaba", credential: undefined, instanceId: undefined });
    expect(limiter.keys).toEqual([`alibaba:${sha256(`address\n${ADDRESS}\n`)}`]);
  });

  it("a failed authentication spends from the address's own bucket, and past it is rate_limited", async () => {
    const limiter = recordingLimiter(1);
    const env: Env = { RATE_LIMITER: limiter };
    const wrong = new ApiError("invalid_credentials", "The credentials are not valid.");
    expect(await meterFailedAuth(env, request(), "openai", wrong)).toBe(wrong);
    expect((await meterFailedAuth(env, request(), "openai", wrong)).code).toBe("rate_limited");
    expect(limiter.keys).toEqual(Array(2).fill(`openai-failed-auth:${sha256(`address\n${ADDRESS}`)}`));
    for (const piece of pieces(ADDRESS)) expect(limiter.keys[0]).not.toContain(piece);
    // Other failures spend nothing.
    await meterFailedAuth(env, request(), "openai", new ApiError("invalid_json", "x"));
    expect(limiter.keys).toHaveLength(2);
  });
});
