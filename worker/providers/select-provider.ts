import type { Config, ProviderName } from "../config.ts";
import { alibabaBridge } from "./alibaba-bridge.ts";
import { demo } from "./demo.ts";
import { openaiCompatible } from "./openai-compatible.ts";
import type { Provider } from "./provider.ts";
import { workersAi } from "./workers-ai.ts";

// Exhaustive by type: a provider name without its implementation does not compile.
const providers: Record<ProviderName, Provider> = { demo, openai: openaiCompatible, "workers-ai": workersAi, spec2: alibabaBridge };

/** The provider MODEL_PROVIDER names. */
export const selectProvider = (config: Config): Provider => providers[config.provider];
