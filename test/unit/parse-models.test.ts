// The MODELS table as it is read at start-up: what it accepts, and an error naming the
// route, the target and the field for everything it does not.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { callSettingNames, parseCallSettings, parseConfig, type Env } from "../../worker/config.ts";
import { ApiError } from "../../worker/http/api-error.ts";
import { callOrder } from "../../worker/routing/call-order.ts";
import { spec2Route } from "../../worker/routing/spec2-route.ts";

const env = (models: unknown, extra: Record<string, string> = {}): Env => ({ MODELS: typeof models === "string" ? models : JSON.stringify(models), KEY_A: "sk-a-secret", KEY_B: "sk-b-secret", ...extra }) as Env;
const target = { provider: "openai", baseUrl: "https://api.example.com/v1", model: "m", key: "KEY_A" };

function problem(models: unknown, extra: Record<string, string> = {}): string {
  try {
    parseConfig(env(models, extra));
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("misconfigured");
    const message = (error as ApiError).message;
    expect(message).not.toMatch(/sk-[ab]-secret/);
    return message;
  }
  throw new Error("the table was accepted");
}

describe("callSettingNames", () => {
  it("is exactly what parseCallSettings reads, so every call setting can be a target's override", () => {
    const read = new Set<string>();
    const spy = new Proxy({} as Env, {
      get: (_, name) => {
        read.add(String(name));
        // A base URL, so the settings read only when one is set are read too.
        return name === "UPSTREAM_BASE_URL" ? "https://api.example.com/v1" : undefined;
      },
    });
    parseCallSettings(spy);
    expect([...read].sort()).toEqual([...callSettingNames].sort());
  });
});

describe("parseModels", () => {
  it("reads a route as a list or an object, pools as nested lists, overrides under the settings' own names", () => {
    const config = parseConfig(
      env({
        voice: { targets: [target, [{ ...target, weight: 2, name: "r1" }, { ...target, name: "r2", key: "KEY_B" }]], hedgeAfterMs: 400 },
        "*": [{ provider: "demo", overrides: { FIRST_TOKEN_TIMEOUT_MS: 2500, FALLBACK_TEXT: "One moment." } }],
      }, { UPSTREAM_API_KEY: "sk-deployment", UPSTREAM_BASE_URL: "https://own.example.com/v1", FIRST_TOKEN_TIMEOUT_MS: "9000" }),
    );
    const voice = config.routing!.routes.get("voice")!;
    expect(voice.tiers.map((tier) => tier.map((t) => [t.name, t.weight, t.config.upstream.apiKey]))).toEqual([
      [["voice[0]", 1, "sk-a-secret"]],
      [["r1", 2, "sk-a-secret"], ["r2", 1, "sk-b-secret"]],
    ]);
    expect(voice.hedgeAfterMs).toBe(400);
    // The whole call's first-token budget is the deployment's; a target's own timeout bounds its attempt.
    expect(voice.config.stream).toMatchObject({ firstTokenTimeoutMs: 9000, retries: 0 });
    const any = config.routing!.routes.get("*")!.tiers[0]![0]!.config;
    expect(any.stream).toMatchObject({ firstTokenTimeoutMs: 2500, fallbackText: "One moment." });
    // A target at the deployment's own base URL keeps its key; one elsewhere gets only its own.
    expect(any.upstream.apiKey).toBe("sk-deployment");
    const elsewhere = parseConfig(env({ x: [{ provider: "openai", baseUrl: "https://other.example.com" }] }, { UPSTREAM_API_KEY: "sk-deployment" }));
    expect(elsewhere.routing!.routes.get("x")!.tiers[0]![0]!.config.upstream.apiKey).toBeUndefined();
  });

  it.each([
    ["not JSON", "{", /^Setting MODELS is not valid JSON\.$/],
    ["an empty table", {}, /must be an object of routes/],
    ["a route that is a string", { voice: "x" }, /route "voice": must be a list of targets/],
    ["an empty list", { voice: [] }, /route "voice": field "targets" must be a non-empty list/],
    ["an unknown route field", { voice: { targets: [target], hedge: 1 } }, /route "voice": unknown field "hedge"/],
    ["a key in the table", { voice: [{ ...target, apiKey: "sk-a-secret" }] }, /route "voice", targets\[0\]: unknown field "apiKey"/],
    ["no provider", { voice: [{ baseUrl: target.baseUrl }] }, /targets\[0\]: field "provider" is required/],
    ["an unknown provider", { voice: [{ ...target, provider: "gpt" }] }, /targets\[0\]: setting MODEL_PROVIDER must be one of/],
    ["no base URL", { voice: [{ provider: "openai" }] }, /targets\[0\]: field "baseUrl" is required for provider openai/],
    ["a base URL at a metadata address", { voice: [{ ...target, baseUrl: "http://169.254.169.254/v1" }] }, /targets\[0\]: setting UPSTREAM_BASE_URL is not acceptable/],
    ["a key secret that is not set", { voice: [{ ...target, key: "KEY_C" }] }, /targets\[0\]: field "key": the secret KEY_C is not set/],
    ["the deployment's own keys as a target's", { voice: [{ ...target, key: "API_KEYS" }] }, /field "key" names API_KEYS/],
    ["a weight of 0", { voice: [[target, { ...target, weight: 0 }]] }, /targets\[0\]\[1\]: field "weight" must be a positive number/],
    ["an empty pool", { voice: [[]] }, /targets\[0\]: a pool must hold at least one target/],
    ["a bad override value", { voice: [{ ...target, overrides: { IDLE_TIMEOUT_MS: "soon" } }] }, /targets\[0\]: setting IDLE_TIMEOUT_MS must be a positive integer/],
    ["an override that is not a call setting", { voice: [{ ...target, overrides: { API_KEYS: "x" } }] }, /overrides\."API_KEYS": it is not a per-call setting; a target may override FIRST_TOKEN_TIMEOUT_MS/],
    ["an override of a target's own field", { voice: [{ ...target, overrides: { UPSTREAM_BASE_URL: "https://x.example" } }] }, /overrides\."UPSTREAM_BASE_URL": it is set by the target's own fields/],
    ["a hedge of 0.5 ms", { voice: { targets: [target], hedgeAfterMs: 0.5 } }, /field "hedgeAfterMs" must be a positive integer/],
    ["keys naming an unset secret", { voice: { targets: [target], keys: ["SALES"] } }, /route "voice": field "keys\[0\]": the secret SALES is not set/],
    ["two targets of one name", { voice: [{ ...target, name: "x" }, { ...target, name: "x" }] }, /two targets are named "x"/],
  ])("%s", (_, models, expected) => {
    expect(problem(models)).toMatch(expected);
  });

  it("takes a table given as an object (a TOML table in wrangler.toml)", () => {
    const config = parseConfig({ MODELS: { voice: [{ provider: "demo" }] } } as Env);
    expect([...config.routing!.routes.keys()]).toEqual(["voice"]);
  });

  it("lets a key limited to a route in, for that route to check", () => {
    const config = parseConfig(env({ sales: { targets: [target], keys: ["KEY_B"] } }, { API_KEYS: "sk-general" }));
    expect(config.apiKeys).toEqual(["sk-general", "sk-b-secret"]);
    expect(config.routing!.apiKeys).toEqual(["sk-general"]);
  });
});

describe("callOrder", () => {
  const pool = (weights: number[]) =>
    parseConfig(env({ p: [weights.map((weight, i) => ({ provider: "demo", name: `t${i}`, weight }))] })).routing!.routes.get("p")!;

  it("keeps a conversation on one target and spreads conversations by weight", () => {
    const route = pool([1, 2, 1]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const first = callOrder(route, `conversation-${i}`)[0]!.name;
      expect(callOrder(route, `conversation-${i}`)[0]!.name).toBe(first);
      counts[Number(first.slice(1))]!++;
    }
    // Expected 750 / 1500 / 750: within 10%.
    expect(counts[0]! / 750).toBeCloseTo(1, 0);
    expect(Math.abs(counts[1]! - 1500)).toBeLessThan(150);
    expect(Math.abs(counts[0]! - 750)).toBeLessThan(100);
    expect(Math.abs(counts[2]! - 750)).toBeLessThan(100);
  });
});

describe("spec2Route", () => {
  it.each([
    ["/", ""],
    ["//", ""],
    ["/tenants/acme/", ""],
    ["/spec2/sales", "sales"],
    ["/tenants/acme/spec2/sales", "sales"],
    ["/spec2/qwen%2Fplus", "qwen/plus"],
    ["/v1/embeddings", undefined],
    ["/v1/chat/completions/", undefined],
    ["/health", undefined],
  ])("%s -> %s", (path, route) => {
    expect(spec2Route(path)).toBe(route);
  });
});

describe("the README's routing example", () => {
  it("is a table wrangler reads from TOML and the worker accepts", () => {
    const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Routing"));
    const toml = /```toml\n([^]*?)```/.exec(section)![1]!;
    const dir = mkdtempSync(join(tmpdir(), "routing-example-"));
    try {
      writeFileSync(join(dir, "wrangler.toml"), `name = "x"\nmain = "index.js"\ncompatibility_date = "2026-07-01"\n${toml}`);
      const { workerOptions } = unstable_getMiniflareWorkerOptions(join(dir, "wrangler.toml"));
      const bindings = workerOptions.bindings as Record<string, unknown>;
      const config = parseConfig({ MODELS: bindings.MODELS as object, DASHSCOPE_KEY: "sk-d", VLLM_KEY: "sk-v", SALES_API_KEYS: "sk-s", API_KEYS: "sk-general" } as Env);
      const routes = config.routing!.routes;
      expect([...routes.keys()]).toEqual(["receptionist", "sales", "booking"]);
      expect(routes.get("receptionist")!.tiers.map((tier) => tier.map((t) => t.config.provider))).toEqual([["openai"], ["workers-ai"]]);
      expect(routes.get("sales")!.tiers[0]!.map((t) => [t.name, t.weight])).toEqual([["vllm-a", 2], ["vllm-b", 1]]);
      expect(routes.get("sales")!.keys).toEqual(["sk-s"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
