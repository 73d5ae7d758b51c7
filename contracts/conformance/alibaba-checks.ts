import { excerpt, fail, once, pass, skip, type Check, type Finding } from "./check.ts";
import { docForm } from "./ims-requests.ts";
import { schemaViolation } from "./published-schemas.ts";
import type { Target } from "./target.ts";
import { failureOf } from "./failure-of.ts";

/** A token no deployment would accept. */
const WRONG_TOKEN = "ims-llm-verify-wrong-token";

export interface FormAnswer {
  status: number;
  contentType: string;
  body: string;
  json?: unknown;
  failure?: string;
}

export interface AlibabaProbes {
  target: Target;
  urlencoded: () => Promise<FormAnswer>;
  multipart: () => Promise<FormAnswer>;
  singleQuoted: () => Promise<FormAnswer>;
  wrongToken: () => Promise<FormAnswer>;
}

async function send(target: Target, fields: Record<string, string>, encoding: "urlencoded" | "multipart"): Promise<FormAnswer> {
  let body: URLSearchParams | FormData;
  if (encoding === "urlencoded") body = new URLSearchParams(fields);
  else {
    body = new FormData();
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
  }
  try {
    // Spec 2 answers in one piece, so the timeout bounds the whole answer.
    const response = await target.fetch(target.url, { method: "POST", body, signal: AbortSignal.timeout(target.timeoutMs) });
    const text = await response.text();
    const answer: FormAnswer = { status: response.status, contentType: response.headers.get("content-type") ?? "", body: text };
    try {
      answer.json = JSON.parse(text);
    } catch {
      // Left undefined: the checks report a body that is not JSON.
    }
    return answer;
  } catch (error) {
    return { status: 0, contentType: "", body: "", failure: failureOf(error) };
  }
}

export function alibabaProbes(target: Target): AlibabaProbes {
  return {
    target,
    urlencoded: once(() => send(target, docForm(target.token, "json"), "urlencoded")),
    multipart: once(() => send(target, docForm(target.token, "json"), "multipart")),
    singleQuoted: once(() => send(target, docForm(target.token, "single"), "urlencoded")),
    wrongToken: once(() => send(target, docForm(WRONG_TOKEN, "json"), "urlencoded")),
  };
}

const describe = (answer: FormAnswer) => (answer.failure ? `no response: ${answer.failure}` : `${answer.status} ${excerpt(answer.body)}`);

/** IMS reads Text from a JSON object; anything else is a failure. */
function hasText(answer: FormAnswer): Finding {
  if (answer.status !== 200) return fail("not a 200", '200 {"Text": "..."}', describe(answer));
  if (answer.body === "") return fail("the body is empty", '{"Text": "..."}', "an empty body");
  if (answer.json === undefined) return fail("the body is not JSON", '{"Text": "..."}', excerpt(answer.body));
  const violation = schemaViolation("alibaba-text-response", answer.json, "lenient");
  return violation ? fail(`no string Text: ${violation}`, '{"Text": "..."}', excerpt(answer.body)) : pass(excerpt(String((answer.json as { Text: string }).Text), 80));
}

export const alibabaChecks: Check<AlibabaProbes>[] = [
  {
    id: "alibaba.urlencoded",
    level: "MUST",
    clause: "Spec 2: IMS POSTs form data (Message, Token, ExtendData) and reads {\"Text\": ...}",
    title: "The doc's example as application/x-www-form-urlencoded gets {\"Text\": string}",
    run: async (probes) => hasText(await probes.urlencoded()),
  },
  {
    id: "alibaba.multipart",
    level: "MUST",
    clause: "Spec 2: form data; aiohttp's request.post() reads multipart/form-data too",
    title: "The same form as multipart/form-data gets {\"Text\": string}",
    run: async (probes) => hasText(await probes.multipart()),
  },
  {
    id: "alibaba.single-quoted-message",
    level: "SHOULD",
    clause: "The doc writes Message with Python-style single quotes",
    title: "A single-quoted Message, as in the doc, is understood",
    run: async (probes) => hasText(await probes.singleQuoted()),
  },
  {
    id: "alibaba.text-not-empty",
    level: "SHOULD",
    clause: "IMS speaks Text",
    title: "Text is not empty",
    run: async (probes) => {
      const answer = await probes.urlencoded();
      const text = (answer.json as { Text?: unknown } | undefined)?.Text;
      return typeof text === "string" && text.trim() ? pass() : fail("no text to speak", "a non-empty Text", describe(answer));
    },
  },
  {
    id: "alibaba.response-schema",
    level: "SHOULD",
    clause: "Published contract alibaba-text-response (strict)",
    title: "The answer matches the published response schema exactly",
    run: async (probes) => {
      const answer = await probes.urlencoded();
      if (answer.json === undefined) return fail("the body is not JSON", '{"Text": "..."}', describe(answer));
      const violation = schemaViolation("alibaba-text-response", answer.json);
      return violation ? fail(violation, '{"Text": "..."} and nothing else', excerpt(answer.body)) : pass();
    },
  },
  {
    id: "alibaba.json-content-type",
    level: "SHOULD",
    clause: "The response is a JSON object (the documentation's own sample answers text/plain, which IMS accepts)",
    title: "Content-Type application/json",
    run: async (probes) => {
      const answer = await probes.urlencoded();
      return answer.contentType.startsWith("application/json") ? pass() : fail("not labelled as JSON", "application/json", answer.contentType || "(none)");
    },
  },
  {
    id: "alibaba.wrong-token",
    level: "SHOULD",
    clause: "Token: the service verification token",
    title: "A wrong Token is refused with 401 or 403",
    run: async (probes) => {
      if (probes.target.token === undefined) return skip("no --token given, so the endpoint may accept any caller");
      const answer = await probes.wrongToken();
      if (answer.failure) return fail("no response", "401", answer.failure);
      return answer.status === 401 || answer.status === 403 ? pass(String(answer.status)) : fail("a wrong token was not refused", "401 or 403", describe(answer));
    },
  },
  {
    id: "alibaba.error-body",
    level: "SHOULD",
    clause: "Published contract alibaba-error {Code, Message, RequestId}",
    title: "The refusal's body is the published error object",
    run: async (probes) => {
      if (probes.target.token === undefined) return skip("no --token given");
      const answer = await probes.wrongToken();
      if (answer.status < 400) return skip("the wrong token was accepted, so there is no error body");
      const violation = answer.json === undefined ? "not JSON" : schemaViolation("alibaba-error", answer.json);
      return violation ? fail(violation, "alibaba-error schema", describe(answer)) : pass();
    },
  },
];
