import { isRecord } from "./is-record.ts";

/**
 * The shape of the error names upstreams really use (`invalid_api_key`, `server_error`,
 * `Throttling.User`, `1214`): letters with `_` and `.`, or a short number. Keys and tokens mix
 * letters, digits and dashes, so a field that quotes one, or anything long, never fits.
 */
const ERROR_NAME = /^(?:[A-Za-z][A-Za-z_.]{0,47}|\d{1,8})$/;

/** An upstream-given value as the log may hold it: an error name as sent, anything else only its size. */
export const logToken = (value: unknown): string => {
  const text = String(value ?? "");
  return text === "" || ERROR_NAME.test(text) ? text : `<${text.length} chars>`;
};

/** What an upstream error object (OpenAI or Alibaba shape) says about itself, safe to log: never its message, which may quote the conversation or the key. */
export const upstreamErrorKind = (error: unknown): string =>
  isRecord(error) ? `type=${logToken(error.type)} code=${logToken(error.code ?? error.Code)}` : typeof error;
