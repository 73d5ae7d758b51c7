/** The request's Origin when CORS_ALLOW_ORIGINS lets it in (exactly, or by "*"), else undefined. */
export function allowedOrigin(request: Request, allowed: readonly string[]): string | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || allowed.length === 0) return undefined;
  return allowed.includes("*") || allowed.includes(origin) ? origin : undefined;
}
