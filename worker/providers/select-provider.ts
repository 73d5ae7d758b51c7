import type { Config, ProviderName } from "../config.ts";
import { ApiError } from "../http/api-error.ts";
import { alibabaBridge } from "./alibaba-bridge.ts";
import { demo } from "./demo.ts";
import { openaiCompatible } from "./openai-compatible.ts";
import type { Provider } from "./provider.ts";

const providers: Partial<Record<ProviderName, Provider>> = { demo, openai: openaiCompatible, alibaba: alibabaBridge };

/** The provider MODEL_PROVIDER names. */
export function selectProvider(config: Config): Provider {
  const provider = providers[config.provider];
  if (!provider) throw new ApiError("misconfigured", `MODEL_PROVIDER ${config.provider} is not available in this build.`);
  return provider;
}
