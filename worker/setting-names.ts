// Not part of the worker's bundle: only types are imported from here at run time, and this
// list, built with a spread, would be kept there even unused.
import { callStringSettingNames } from "./call-setting-names.ts";

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
