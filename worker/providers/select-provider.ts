import type { Config, ProviderName } from "../config.ts";
import { alibabaBridge } from "./alibaba-bridge.ts";
import { demo } from "./demo.ts";
import { openaiCompatible } from "./openai-compatible.ts";
import type { Provider } from "./provider.ts";
import { voiceRequest } from "../voice/voice-request.ts";
import { workersAi } from "./workers-ai.ts";

// Exhaustive by type: a provider name without its implementation does not compile.
const providers: Record<ProviderName, Provider> = { demo, openai: openaiCompatible, "workers-ai": workersAi, spec2: alibabaBridge };

/**
 * The provider these settings name (MODEL_PROVIDER, or a MODELS target's), with every call it is
 * given shaped by the same settings' voice options: on a route, each target by its own.
 */
export function selectProvider(config: Config): Provider {
  const provider = providers[config.provider];
  return (call, settings) => provider(voiceRequest(call, config.voice), settings);
}
