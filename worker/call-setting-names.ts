/**
 * The settings one model call is shaped by (parseCallSettings reads exactly these, a test holds
 * it to that): a MODELS target may override each under the same name.
 */
export const callStringSettingNames = [
  "MODEL_PROVIDER",
  "UPSTREAM_BASE_URL",
  "UPSTREAM_API_KEY",
  "UPSTREAM_MODEL",
  "ALLOW_PRIVATE_UPSTREAM",
  "FIRST_TOKEN_TIMEOUT_MS",
  "IDLE_TIMEOUT_MS",
  "TOTAL_TIMEOUT_MS",
  "UPSTREAM_RETRIES",
  "FALLBACK_TEXT",
  "MAX_EVENT_BYTES",
  "WORKERS_AI_MODEL",
  "SYSTEM_PROMPT",
  "SYSTEM_PROMPT_MODE",
  "SPEECH_CLEANUP",
  "HANGUP_TOOL",
  "HANGUP_TOOL_DESCRIPTION",
  "INTERRUPTED_MARKER",
  "DEFAULT_MAX_TOKENS",
  "DEFAULT_TEMPERATURE",
  "UPSTREAM_EXTRA_BODY",
] as const;
