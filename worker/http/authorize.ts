import { ApiError } from "./api-error.ts";

const encoder = new TextEncoder();

/**
 * Compares with the runtime's crypto.subtle.timingSafeEqual, in time that depends only on the
 * lengths, never on where the first difference is, so a caller cannot find a key byte by byte
 * by timing the answers. It takes equal lengths only: a given secret of another length is
 * compared with itself, so that case costs the same work and still fails.
 */
export function timingSafeEqualText(given: string, expected: string): boolean {
  const a = encoder.encode(given);
  const b = encoder.encode(expected);
  const sameLength = a.byteLength === b.byteLength;
  return crypto.subtle.timingSafeEqual(a, sameLength ? b : a) && sameLength;
}

export interface SecretRule {
  accepted: readonly string[];
  /** The setting that holds the accepted secrets, named in the error when it is empty. */
  setting: string;
  allowUnauthenticated: boolean;
}

/** Throws unless `given` is one of the accepted secrets; fails closed when none are configured. */
export function authorize(given: string | undefined, rule: SecretRule): void {
  if (rule.accepted.length === 0) {
    if (rule.allowUnauthenticated) return;
    throw new ApiError(
      "auth_not_configured",
      `This route is closed: the worker has no ${rule.setting} configured. Set ${rule.setting} (wrangler secret put ${rule.setting}), or ALLOW_UNAUTHENTICATED=true to accept any caller.`,
    );
  }
  if (given === undefined || given === "") throw new ApiError("missing_credentials", "No credentials were given.");
  // Every accepted secret is compared, so the time taken does not reveal which one matched.
  let matched = false;
  for (const secret of rule.accepted) matched = timingSafeEqualText(given, secret) || matched;
  if (!matched) throw new ApiError("invalid_credentials", "The credentials are not valid.");
}

/**
 * The Spec 1 key: a Bearer token as OpenAI clients send it, or api-key as a header or query
 * parameter (Azure style, which IMS's extra query can carry). The URL is parsed only when no
 * header holds the key.
 */
export function openaiKeyOf(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  if (header) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match ? match[1]!.trim() : header.trim();
  }
  return request.headers.get("api-key") ?? new URL(request.url).searchParams.get("api-key") ?? undefined;
}
