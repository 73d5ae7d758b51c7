// A chunked upload over MAX_BODY_BYTES is refused while it arrives. The refusal must reach the
// client as a 413, never as a connection reset: the worker reads the rest of the upload (within
// its bound) before it answers, whichever read passed the limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

/** Enough uploads that a reset rate of 1% would show up about three times. */
const UPLOADS = 300;
/** In flight at once: keeps the run to a few seconds on two cores. */
const CONCURRENCY = 10;
const MAX_BODY_BYTES = 2048;

let worker: RunningWorker;
beforeAll(async () => {
  worker = await startWorker({ MAX_BODY_BYTES: String(MAX_BODY_BYTES) });
});
afterAll(() => worker?.dispose());

const oversized = (route: "spec1" | "spec2") => {
  const text =
    route === "spec1"
      ? JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x".repeat(2 * MAX_BODY_BYTES) }] })
      : new URLSearchParams({ Message: JSON.stringify([{ role: "user", content: "x".repeat(2 * MAX_BODY_BYTES) }]), Token: TEST_IMS_TOKEN }).toString();
  // A stream, so fetch sends it chunked, with no Content-Length to refuse it by.
  return new Blob([text]).stream();
};

/** The status each upload got, or "reset" when the connection failed instead. */
async function upload(base: string, route: "spec1" | "spec2"): Promise<number | "reset"> {
  const [path, headers] =
    route === "spec1"
      ? ["/v1/chat/completions", { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" }]
      : ["/", { "content-type": "application/x-www-form-urlencoded" }];
  try {
    const response = await fetch(`${base}${path}`, { method: "POST", headers, body: oversized(route), duplex: "half" } as RequestInit);
    await response.arrayBuffer();
    return response.status;
  } catch {
    return "reset";
  }
}

async function tally(base: string, route: "spec1" | "spec2"): Promise<Map<number | "reset", number>> {
  const counts = new Map<number | "reset", number>();
  let started = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (started++ < UPLOADS) {
        const outcome = await upload(base, route);
        counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      }
    }),
  );
  return counts;
}

describe("chunked uploads over MAX_BODY_BYTES", () => {
  it.each(["spec1", "spec2"] as const)(`%s: ${UPLOADS} uploads all get 413, none a reset`, async (route) => {
    const counts = await tally(worker.url, route);
    console.log(`refused uploads (${route}): ${JSON.stringify(Object.fromEntries(counts))}`);
    expect(Object.fromEntries(counts)).toEqual({ 413: UPLOADS });
  });
});
