/** What marks a Spec 2 route's URL: {prefix}/spec2/<route>. */
const MARK = "/spec2/";
const SPEC1 = /\/chat\/completions\/*$/;

/**
 * The route a Spec 2 URL names, or undefined when the path is not a Spec 2 URL. IMS posts to
 * exactly the URL configured for a workflow and appends nothing, so: {prefix}/ is the default
 * route ("" here) and {prefix}/spec2/<route> is a named one, whatever prefix the worker is
 * mounted under (a doubled slash included).
 */
export function spec2Route(path: string): string | undefined {
  // Spec 1's path, trailing slash and all, is never Spec 2.
  if (SPEC1.test(path)) return undefined;
  if (path.endsWith("/")) return "";
  const at = path.lastIndexOf(MARK);
  if (at < 0) return undefined;
  try {
    return decodeURIComponent(path.slice(at + MARK.length));
  } catch {
    return path.slice(at + MARK.length);
  }
}
