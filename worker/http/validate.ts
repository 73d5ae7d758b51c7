import type * as z from "zod/mini";
import { ApiError } from "./api-error.ts";

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

const typeOf = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

/**
 * Turns a Zod issue into one short sentence. Written here rather than loading Zod's locale,
 * which would cost bundle size for messages we would reword anyway.
 */
function describe(issue: Issue, input: unknown): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.path.length === 0 || input !== undefined ? `expected ${issue.expected}, got ${typeOf(input)}` : "is required";
    case "invalid_value":
      return `must be ${issue.values.map((value) => JSON.stringify(value)).join(" or ")}`;
    case "too_small":
      return issue.origin === "array" ? `must have at least ${issue.minimum} item(s)` : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array" ? `must have at most ${issue.maximum} item(s)` : `must be at most ${issue.maximum}`;
    case "invalid_union":
      if ("options" in issue && issue.options && issue.errors.length === 0) {
        return `must be one of ${issue.options.map((option) => JSON.stringify(option)).join(", ")}`;
      }
      return "has an unexpected shape";
    case "unrecognized_keys":
      return `has unknown field(s) ${issue.keys.join(", ")}`;
    default:
      return "is not valid";
  }
}

const valueAt = (root: unknown, path: Path): unknown =>
  path.reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);

/**
 * Of a union's failed branches, the one whose first issue reached deepest is what the caller
 * meant; when every branch failed at the top, the union's own types are listed instead.
 */
function innermost(issue: Issue, root: unknown): { path: Path; message: string } {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const firsts = issue.errors.map((branch) => branch[0]).filter((first): first is Issue => first !== undefined);
    const deepest = firsts.reduce((best, next) => (next.path.length > best.path.length ? next : best));
    if (deepest.path.length === 0 && firsts.every((first) => first.code === "invalid_type")) {
      const types = firsts.map((first) => (first.code === "invalid_type" ? first.expected : "")).join(" or ");
      return { path: issue.path, message: `expected ${types}, got ${typeOf(valueAt(root, issue.path))}` };
    }
    const inner = innermost({ ...deepest, path: [...issue.path, ...deepest.path] } as Issue, root);
    return inner;
  }
  return { path: issue.path, message: describe(issue, valueAt(root, issue.path)) };
}

/** Parses `value` with `schema`, or throws an invalid_request ApiError naming the first field at fault. */
export function validate<T extends z.ZodMiniType>(schema: T, value: unknown, prefix = ""): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { path, message } = innermost(result.error.issues[0]!, value);
  const param = [prefix, ...path.map(String)].filter(Boolean).join(".");
  throw new ApiError("invalid_request", param ? `${param} ${message}.` : `The request ${message}.`, param ? { param } : {});
}
