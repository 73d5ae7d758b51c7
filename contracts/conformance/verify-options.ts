import { parseArgs } from "node:util";
import { checksFor } from "./run-checks.ts";
import type { Target } from "./target.ts";

/** IMS's longest filler-speech wait is 10 s: a caller left in silence longer than that is lost. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Ten minutes: anything larger is a typo, and would leave a CI job hanging on a dead endpoint. */
const MAX_TIMEOUT_MS = 600_000;

export const verifyUsage = `Usage:
  ims-llm-verify --spec openai  --url <base_url>  [--api-key K] [--model M]
  ims-llm-verify --spec alibaba --url <url>       [--token T]
                 [--junit FILE] [--json] [--timeout-ms N] [--only ID,...]

Checks an endpoint against the IMS LLM contract, with requests shaped like the ones IMS sends.

  --spec openai    Spec 1: OpenAI chat completions, streamed. --url is the base URL typed into
                   the IMS console; /chat/completions is appended, as IMS does.
  --spec alibaba   Spec 2: form fields Message/Token/ExtendData -> {"Text": ...}. --url is the
                   full URL.
  --api-key K      Spec 1 API key, sent as Authorization: Bearer K.
  --model M        Spec 1 model id (default: ims-llm-verify).
  --token T        Spec 2 Token field. With it, a wrong token must be refused.
  --timeout-ms N   Longest wait for a response and for each piece of a stream; for Spec 2, for
                   the whole answer (default: ${DEFAULT_TIMEOUT_MS}).
  --only ID,...    Run only these checks (ids as printed in the report).
  --json           Print the report as JSON on stdout (progress goes to stderr).
  --junit FILE     Also write a JUnit XML report, one testcase per check.
  -h, --help       Show this help.

Exit status: 0 every MUST check passed (warnings allowed); 1 a MUST check failed;
2 usage error or target unreachable.`;

export interface VerifyOptions {
  target: Omit<Target, "fetch">;
  only?: string[];
  json: boolean;
  junit?: string;
}

export type ParsedOptions = { help: true } | { error: string } | { options: VerifyOptions };

/** Reads the command line; every mistake is reported before a single request is sent. */
export function parseVerifyOptions(argv: readonly string[]): ParsedOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        spec: { type: "string" },
        url: { type: "string" },
        "api-key": { type: "string" },
        model: { type: "string" },
        token: { type: "string" },
        "timeout-ms": { type: "string" },
        only: { type: "string" },
        json: { type: "boolean", default: false },
        junit: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return { help: true };

  const spec = values.spec;
  if (spec !== "openai" && spec !== "alibaba") return { error: spec === undefined ? "--spec is required (openai or alibaba)" : `--spec must be openai or alibaba, not "${spec}"` };
  if (values.url === undefined) return { error: "--url is required" };
  if (!URL.canParse(values.url) || !/^https?:$/.test(new URL(values.url).protocol)) return { error: `--url must be an http:// or https:// URL, not "${values.url}"` };
  if (spec === "openai" && values.token !== undefined) return { error: "--token is for --spec alibaba; Spec 1 takes --api-key" };
  if (spec === "alibaba" && (values["api-key"] !== undefined || values.model !== undefined)) return { error: "--api-key and --model are for --spec openai; Spec 2 takes --token" };

  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (values["timeout-ms"] !== undefined) {
    timeoutMs = Number(values["timeout-ms"]);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) return { error: `--timeout-ms must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}` };
  }

  let only: string[] | undefined;
  if (values.only !== undefined) {
    const known = checksFor(spec).map((check) => check.id);
    only = values.only.split(",").map((id) => id.trim()).filter(Boolean);
    const unknown = only.filter((id) => !known.includes(id));
    if (!only.length) return { error: "--only needs at least one check id" };
    if (unknown.length) return { error: `--only: no ${spec} check named ${unknown.join(", ")}; the ids are: ${known.join(", ")}` };
  }

  return {
    options: {
      target: {
        spec,
        url: values.url,
        timeoutMs,
        ...(values["api-key"] !== undefined && { apiKey: values["api-key"] }),
        ...(values.model !== undefined && { model: values.model }),
        ...(values.token !== undefined && { token: values.token }),
      },
      ...(only && { only }),
      json: values.json,
      ...(values.junit !== undefined && { junit: values.junit }),
    },
  };
}
