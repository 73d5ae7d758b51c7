// Plain values, no schema: the worker tells known roles apart without loading Zod at all.

/** The roles the upstream turns are written for; any other is an OtherMessage. */
export const KNOWN_ROLES: ReadonlySet<string> = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
