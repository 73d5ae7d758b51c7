import type { WorkerRequest } from "../http/worker-request.ts";
import type { TextResponse } from "../../contracts/alibaba/text-response.ts";
import { readConfig, type Env } from "../config.ts";
import { authorize } from "../http/authorize.ts";
import { checkMessages } from "../http/check-messages.ts";
import { decodeField } from "../http/decode-field.ts";
import { readForm } from "../http/read-form.ts";
import { extendDataFieldCheck, formRequestCheck, messageFieldCheck } from "../http/request-checks.ts";
import { validate } from "../http/validate.ts";
import { rateLimit } from "../security/rate-limit.ts";
import { chooseModel } from "../routing/choose-model.ts";
import { knownTurns } from "../providers/known-turns.ts";
import { collectReply } from "../reply/collect-reply.ts";
import { RequestLog } from "../request-log.ts";
import { startReply } from "../reply/start-reply.ts";

/** The model name a Spec 2 call is served under; IMS sends none, so UPSTREAM_MODEL or this. */
const DEFAULT_MODEL = "ims-llm-edge";

/** Spec 2: POST {prefix}/ or {prefix}/spec2/<route> (`route`: "" or <route>) with form fields Message, Token, ExtendData; answers {"Text": "..."}. */
export async function alibabaText(request: WorkerRequest, env: Env, route: string): Promise<Response> {
  const config = readConfig(env);
  const fields = await readForm(request, config.limits);
  // The token first: a caller without one learns nothing of the form's rules.
  authorize(fields.Token, { accepted: config.imsTokens, setting: "IMS_TOKENS", allowUnauthenticated: config.allowUnauthenticated });
  const form = validate(formRequestCheck, fields);
  const messages = validate(messageFieldCheck, decodeField(form.Message, "Message", config.limits.maxJsonDepth), "Message");
  checkMessages(messages, "Message", config.limits);
  const extendData = form.ExtendData ? validate(extendDataFieldCheck, decodeField(form.ExtendData, "ExtendData", config.limits.maxJsonDepth), "ExtendData") : undefined;
  const log = RequestLog.of(request);
  const chosen = chooseModel(config, { spec: "spec2", name: route, credential: form.Token, conversation: extendData?.InstanceId }, log);
  log.describe({ route: "spec2", provider: chosen.config.provider, instanceId: extendData?.InstanceId });
  await rateLimit(env, config, request, { route: "alibaba", credential: config.imsTokens.length ? form.Token : undefined, instanceId: extendData?.InstanceId });
  const call = { messages: knownTurns(messages), model: chosen.config.upstream.model ?? DEFAULT_MODEL, options: {}, textOnly: true, ims: { instanceId: extendData?.InstanceId, userData: extendData?.UserData } };
  const reply = await collectReply(await startReply(chosen.provider, call, chosen.config, request.signal, log), config.limits.maxReplyChars);
  const body: TextResponse = { Text: reply.text };
  return Response.json(body);
}
