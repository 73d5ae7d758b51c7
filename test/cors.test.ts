// No CORS unless CORS_ALLOW_ORIGINS lists the origin; the published schemas stay public.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, TEST_API_KEY, type RunningWorker } from "./support/start-worker.ts";

const ALLOWED = "https://console.example.com";
const OTHER = "https://evil.example.net";

let closed: RunningWorker;
let open: RunningWorker;

beforeAll(async () => {
  [closed, open] = await Promise.all([startWorker(), startWorker({ CORS_ALLOW_ORIGINS: `${ALLOWED}, https://other.example.com` })]);
});
afterAll(() => Promise.all([closed, open].map((running) => running?.dispose())));

const preflight = (worker: RunningWorker, origin: string, path = "/v1/chat/completions") =>
  fetch(`${worker.url}${path}`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });

const chat = (worker: RunningWorker, origin: string) =>
  fetch(`${worker.url}/v1/chat/completions`, {
    method: "POST",
    headers: { origin, authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] }),
  });

describe("CORS", () => {
  it("is off by default: preflight refused, no CORS headers on answers", async () => {
    const answer = await preflight(closed, ALLOWED);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
    const response = await chat(closed, ALLOWED);
    await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers a preflight from a listed origin, on both routes, with its request id", async () => {
    for (const path of ["/v1/chat/completions", "/"]) {
      const answer = await preflight(open, ALLOWED, path);
      expect(answer.status).toBe(204);
      expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(answer.headers.get("access-control-allow-methods")).toContain("POST");
      expect(answer.headers.get("access-control-allow-headers")).toContain("authorization");
      expect(answer.headers.get("vary")).toContain("Origin");
    }
  });

  it("refuses a preflight from an unlisted origin", async () => {
    const answer = await preflight(open, OTHER);
    expect(answer.status).toBe(405);
    expect(answer.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("allows a listed origin to read a streamed answer and its request id, and varies by Origin", async () => {
    const response = await chat(open, ALLOWED);
    expect(await response.text()).toContain("data: [DONE]");
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(response.headers.get("access-control-expose-headers")).toContain("x-request-id");
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("gives an unlisted origin no CORS headers, still varying by Origin", async () => {
    const response = await chat(open, OTHER);
    await response.text();
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("vary")).toContain("Origin");
  });

  it("keeps the published schemas public", async () => {
    const response = await fetch(`${closed.url}/schemas/openai-error.json`, { headers: { origin: OTHER } });
    await response.text();
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});
