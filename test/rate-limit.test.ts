// Cloudflare's Rate Limiting binding, as Miniflare implements it: each credential has its own
// budget, a spent budget is a 429 with Retry-After in the route's own error format, and
// without a binding nothing is limited.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { docConversation } from "../contracts/conformance/ims-requests.ts";
import { schemaViolation } from "../contracts/conformance/published-schemas.ts";
import { startWorker, type RunningWorker } from "./support/start-worker.ts";

const LIMIT = 3;
const KEYS = "sk-rate-a,sk-rate-b";
const TOKENS = "tok-rate-a,tok-rate-b";
const ratelimits = { RATE_LIMITER: { namespace_id: "1001", simple: { limit: LIMIT, period: 60 as const } } };

let limited: RunningWorker;
let byInstance: RunningWorker;
let unlimited: RunningWorker;

beforeAll(async () => {
  [limited, byInstance, unlimited] = await Promise.all([
    startWorker({ API_KEYS: KEYS, IMS_TOKENS: TOKENS, RATE_LIMIT_RETRY_AFTER: "17" }, { ratelimits }),
    startWorker({ API_KEYS: KEYS, IMS_TOKENS: TOKENS, RATE_LIMIT_BY_INSTANCE: "true" }, { ratelimits }),
    startWorker({ API_KEYS: KEYS, IMS_TOKENS: TOKENS }),
  ]);
});
afterAll(() => Promise.all([limited, byInstance, unlimited].map((running) => running?.dispose())));

/** Miniflare counts in fixed windows of the period, aligned to the clock (Date.now() / period). */
const WINDOW_MS = 60_000;
/** Longer than any one test takes on a loaded machine, so a test never straddles two windows. */
const WINDOW_MARGIN_MS = 20_000;

// A budget spent just before a window rolls over is fresh again just after: each test starts
// with enough of its window left to spend a budget and see the 429 inside the same window.
beforeEach(async () => {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < WINDOW_MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 50));
});

const chat = (worker: RunningWorker, key: string, instanceId = "i-1") =>
  fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream: false, messages: [{ role: "user", content: "hi" }], extendData: { instanceId } }),
  });

const text = (worker: RunningWorker, token: string, instanceId = "i-1") =>
  fetch(`${worker.url}/`, {
    method: "POST",
    body: new URLSearchParams({ Message: JSON.stringify(docConversation), Token: token, ExtendData: JSON.stringify({ InstanceId: instanceId }) }),
  });

async function statuses(send: () => Promise<Response>, count: number) {
  const codes: number[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send();
    await response.arrayBuffer();
    codes.push(response.status);
  }
  return codes;
}

describe("rate limiting", () => {
  it("answers Spec 1 with an OpenAI 429 and Retry-After once a key's budget is spent", async () => {
    expect(await statuses(() => chat(limited, "sk-rate-a"), LIMIT)).toEqual(Array(LIMIT).fill(200));
    const response = await chat(limited, "sk-rate-a");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("17");
    const body = await response.json();
    expect(schemaViolation("openai-error", body)).toBeNull();
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.type).toBe("rate_limit_error");
    expect(JSON.stringify(body)).not.toContain("sk-rate-a");
  });

  it("keeps another key's budget apart", async () => {
    expect((await chat(limited, "sk-rate-b")).status).toBe(200);
  });

  it("answers Spec 2 with an Alibaba 429 and Retry-After, its budget apart from Spec 1's", async () => {
    expect(await statuses(() => text(limited, "tok-rate-a"), LIMIT)).toEqual(Array(LIMIT).fill(200));
    const response = await text(limited, "tok-rate-a");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("17");
    const body = await response.json();
    expect(schemaViolation("alibaba-error", body)).toBeNull();
    expect(body.Code).toBe("Throttling");
  });

  it("counts failed authentication per client address: past the budget, 429; no key's budget is spent", async () => {
    expect(await statuses(() => chat(limited, "sk-wrong"), LIMIT)).toEqual(Array(LIMIT).fill(401));
    const response = await chat(limited, "sk-wrong");
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("17");
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // Spec 2's failures are counted apart, and a good key keeps its own budget.
    expect(await statuses(() => text(limited, "tok-wrong"), LIMIT + 1)).toEqual([...Array(LIMIT).fill(401), 429]);
    expect((await chat(limited, "sk-rate-b")).status).toBe(200);
  });

  it("counts each agent instance apart when RATE_LIMIT_BY_INSTANCE=true", async () => {
    expect(await statuses(() => chat(byInstance, "sk-rate-a", "call-1"), LIMIT + 1)).toEqual([...Array(LIMIT).fill(200), 429]);
    expect((await chat(byInstance, "sk-rate-a", "call-2")).status).toBe(200);
    expect(await statuses(() => text(byInstance, "tok-rate-a", "call-1"), LIMIT + 1)).toEqual([...Array(LIMIT).fill(200), 429]);
    expect((await text(byInstance, "tok-rate-a", "call-2")).status).toBe(200);
  });

  it("limits nothing when no binding is configured", async () => {
    expect(await statuses(() => chat(unlimited, "sk-rate-a"), LIMIT * 3)).toEqual(Array(LIMIT * 3).fill(200));
    expect(await statuses(() => text(unlimited, "tok-rate-a"), LIMIT * 3)).toEqual(Array(LIMIT * 3).fill(200));
  });
});
