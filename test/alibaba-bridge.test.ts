// MODEL_PROVIDER=alibaba: Spec 1 (and Spec 2) in front of a Spec 2 server written like the
// sample in IMS's documentation, run with Debian's python3-aiohttp.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "./support/paths.ts";
import { startWorker, TEST_API_KEY, TEST_IMS_TOKEN, type RunningWorker } from "./support/start-worker.ts";

const PYTHON = "/usr/bin/python3";
const BRIDGE_TOKEN = "spec2-server-token";
const hasAiohttp = spawnSync(PYTHON, ["-c", "import aiohttp"]).status === 0;
if (!hasAiohttp) {
  console.warn(
    `\n${"!".repeat(78)}\n!! SKIPPING the Spec 2 bridge test: ${PYTHON} cannot import aiohttp.\n!! Install it with: apt-get install -y python3-aiohttp\n${"!".repeat(78)}\n`,
  );
}

interface Received {
  message: string;
  token: string | null;
  extend_data: string;
  content_type: string;
}

let server: ChildProcess;
let serverUrl: string;
const received: Received[] = [];
let worker: RunningWorker;
let client: OpenAI;

async function startSpec2Server(): Promise<string> {
  server = spawn(PYTHON, [join(root, "test", "support", "spec2-server.py"), BRIDGE_TOKEN], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: server.stdout! });
  return new Promise((resolve, reject) => {
    server.once("exit", (code) => reject(new Error(`the Spec 2 server exited with ${code}`)));
    lines.on("line", (line) => {
      if (line.startsWith("PORT ")) resolve(`http://127.0.0.1:${line.slice(5)}/`);
      else received.push(JSON.parse(line) as Received);
    });
  });
}

describe.skipIf(!hasAiohttp)("alibaba provider: a bridge to an aiohttp Spec 2 server", () => {
  beforeAll(async () => {
    serverUrl = await startSpec2Server();
    worker = await startWorker({ MODEL_PROVIDER: "alibaba", UPSTREAM_BASE_URL: serverUrl, UPSTREAM_API_KEY: BRIDGE_TOKEN });
    client = new OpenAI({ baseURL: `${worker.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await worker?.dispose();
    server?.kill();
  });

  it("Spec 1 through the openai SDK returns the server's text, and the server got the form IMS would send", async () => {
    const stream = await client.chat.completions.create({
      model: "abc",
      stream: true,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is the weather like today? " },
        { role: "assistant", content: "It is sunny today. " },
        { role: "user", content: "What will the weather be like tomorrow? " },
      ],
      ...({ extendData: { instanceId: "68e00b6640e*****3e943332fee7", channelId: "123", userData: '{"aaaa":"bbbb"}' } } as object),
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Hello. I am your AI assistant. You said: What will the weather be like tomorrow? ");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);

    const got = received.at(-1)!;
    expect(got.content_type).toBe("application/x-www-form-urlencoded");
    expect(got.token).toBe(BRIDGE_TOKEN);
    expect(JSON.parse(got.message)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "What is the weather like today? " },
      { role: "assistant", content: "It is sunny today. " },
      { role: "user", content: "What will the weather be like tomorrow? " },
    ]);
    expect(JSON.parse(got.extend_data)).toEqual({ InstanceId: "68e00b6640e*****3e943332fee7", UserData: '{"aaaa":"bbbb"}' });
  });

  it("Spec 2 in front of it answers {Text} unchanged", async () => {
    const response = await fetch(`${worker.url}/`, {
      method: "POST",
      body: new URLSearchParams({ Message: "[{'role': 'user', 'content': '你好'}]", Token: TEST_IMS_TOKEN, ExtendData: '{"InstanceId":"i-2","UserData":"{}"}' }),
    });
    expect(await response.json()).toEqual({ Text: "Hello. I am your AI assistant. You said: 你好" });
    expect(JSON.parse(received.at(-1)!.extend_data)).toEqual({ InstanceId: "i-2", UserData: "{}" });
  });

  it("a token the server refuses is a 502 in the caller's format, not the server's body", async () => {
    const refused = await startWorker({ MODEL_PROVIDER: "alibaba", UPSTREAM_BASE_URL: serverUrl, UPSTREAM_API_KEY: "wrong" });
    try {
      const wrong = new OpenAI({ baseURL: `${refused.url}/v1`, apiKey: TEST_API_KEY, maxRetries: 0 });
      await expect(wrong.chat.completions.create({ model: "abc", stream: true, messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 502, code: "upstream_error" });
    } finally {
      await refused.dispose();
    }
  });
});
