import { ApiError } from "./api-error.ts";
import type { SchemaCheck } from "./schema-check.ts";

/** Checks `value` with `check` and returns it as the contract's type, or throws an invalid_request ApiError naming the first field at fault. */
export function validate<T>(check: SchemaCheck<T>, value: unknown, prefix = ""): T {
  const failure = check(value);
  if (!failure) return value as T;
  const param = [prefix, ...failure.path.map(String)].filter(Boolean).join(".");
  throw new ApiError("invalid_request", param ? `${param} ${failure.message}.` : `The request ${failure.message}.`, param ? { param } : {});
}
