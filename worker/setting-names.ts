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

/**
 * Every setting that is a plain string (wrangler [vars] and secrets), by name. The README's
 * settings table is checked against this list (scripts/check-tables.ts), and the self-hosted
 * server passes exactly these names from its environment to the worker, so a setting added here
 * is documented and works off Cloudflare without a second list to keep in step.
 */
export const settingNames = [
  ...callStringSettingNames,
  "API_KEYS",
  "IMS_TOKENS",
  "ALLOW_UNAUTHENTICATED",
  "MAX_BODY_BYTES",
  "BODY_TIMEOUT_MS",
  "MAX_MESSAGES",
  "MAX_REPLY_CHARS",
  "MAX_MESSAGE_CHARS",
  "MAX_FIELD_CHARS",
  "MAX_JSON_DEPTH",
  "MAX_FORM_FIELDS",
  "RATE_LIMIT_BY_INSTANCE",
  "RATE_LIMIT_RETRY_AFTER",
  "CORS_ALLOW_ORIGINS",
  "MODELS",
] as const;

export type SettingName = (typeof settingNames)[number];
