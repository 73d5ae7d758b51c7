// A refused body costs the isolate about what workerd itself costs to receive it. Read through
// a default reader, a body came into JavaScript 4 KiB at a time, and refusing 2 MiB cost about
// 14 ms of CPU, several times a native read of the same bytes, during which every other caller
// of the isolate waited. Each case compares workerd's CPU with a worker that reads the same
// body natively, in interleaved rounds, so the ratio holds on a loaded machine.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { treeCpuSeconds } from "../bench/process-tree.ts";
import { startWorkerd, type WorkerdServer } from "../bench/workerd-server.ts";
import { builtWorkerDir, root } from "./support/paths.ts";
import { TEST_API_KEY, TEST_IMS_TOKEN } from "./support/start-worker.ts";

/** The default MAX_BODY_BYTES: a flood's bodies are as large as the worker lets them be. */
const BODY_BYTES = 2 * 1024 * 1024;
/** Interleaved rounds, and requests per target in each: 40 bodies of 2 MiB per target and case. */
const ROUNDS = 5;
const REQUESTS = 8;
/** Measured: a native read costs 2.5-3.5 ms per 2 MiB, the worker's refusal 3-4 ms, and it was 18-20 ms with 4 KiB reads. */
const MAX_RATIO = 2;
/** Pieces of a chunked upload: large, so the client's own cost stays small. */
const PIECE_BYTES = 64 * 1024;

const scratch = mkdtempSync(join(tmpdir(), "refused-cost-"));
let worker: WorkerdServer;
let native: WorkerdServer;
beforeAll(async () => {
  // The reference reads each body natively and refuses it; copied, as workerd writes its config beside the module.
  copyFileSync(join(root, "bench", "refusing-floor-worker.js"), join(scratch, "native-read.js"));
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const runtime = { compatibilityDate: String(workerOptions.compatibilityDate), compatibilityFlags: workerOptions.compatibilityFlags as string[] };
  worker = await startWorkerd("refused-cost-worker", { ...runtime, modulePath: join(builtWorkerDir, "index.js"), vars: { API_KEYS: TEST_API_KEY, IMS_TOKENS: TEST_IMS_TOKEN } });
  native = await startWorkerd("refused-cost-native", { ...runtime, modulePath: join(scratch, "native-read.js"), vars: {} });
});
afterAll(async () => {
  await worker?.stop();
  await native?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const EMPTY_PART = '--b\r\ncontent-disposition: form-data; name="f"\r\n\r\n\r\n';
const manyParts = EMPTY_PART.repeat(Math.floor((BODY_BYTES - 1024) / EMPTY_PART.length)) + "--b--";
const overLimit = new TextEncoder().encode(JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(2 * BODY_BYTES) }] }));

/** A stream of `bytes`, so fetch sends it chunked, with no Content-Length to refuse it by. */
const chunked = (bytes: Uint8Array) => {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(offset, (offset += PIECE_BYTES)));
    },
  });
};

interface Case {
  path: string;
  headers: Record<string, string>;
  body: () => BodyInit;
}

const cases: Record<string, Case> = {
  "an unauthenticated Spec 1 body, drained unread": { path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: () => manyParts },
  "a Spec 2 form of many empty parts without a token, read and counted": { path: "/", headers: { "content-type": "multipart/form-data; boundary=b" }, body: () => manyParts },
  "a chunked Spec 1 body twice MAX_BODY_BYTES, read to the limit and drained": {
    path: "/v1/chat/completions",
    headers: { authorization: `Bearer ${TEST_API_KEY}`, "content-type": "application/json" },
    body: () => chunked(overLimit),
  },
};

/** workerd's CPU for REQUESTS refused requests; each must be answered 413 or 401, never reset. */
async function cpuMs(server: WorkerdServer, { path, headers, body }: Case): Promise<number> {
  const before = treeCpuSeconds(server.pid);
  for (let i = 0; i < REQUESTS; i++) {
    const response = await fetch(`${server.url}${path}`, { method: "POST", headers, body: body(), duplex: "half" } as RequestInit);
    await response.arrayBuffer();
    expect([401, 413]).toContain(response.status);
  }
  return (treeCpuSeconds(server.pid) - before) * 1000;
}

describe("what a refused body costs workerd", () => {
  it.each(Object.entries(cases))(`%s: at most ${MAX_RATIO}x a native read of the same bytes`, { timeout: 60_000 }, async (name, refused) => {
    let [workerMs, nativeMs] = [0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      workerMs += await cpuMs(worker, refused);
      nativeMs += await cpuMs(native, refused);
    }
    const requests = ROUNDS * REQUESTS;
    console.log(`refused ${name}: worker ${(workerMs / requests).toFixed(2)} ms CPU per request, native read ${(nativeMs / requests).toFixed(2)} ms`);
    expect(workerMs).toBeLessThanOrEqual(MAX_RATIO * nativeMs);
  });
});
