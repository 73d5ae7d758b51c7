/**
 * Whether arrays and objects in `text` nest deeper than `maxDepth`, found by one pass over
 * the raw text before it is parsed: no recursion, so a body of a million "[" costs a loop,
 * not a stack. Strings are skipped with their escapes, in both quote styles, because the
 * Spec 2 fields may be Python-style literals; in JSON a single quote outside a string is
 * already a syntax error, so treating it as a quote only changes which error is reported.
 */
export function nestingDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === "[" || c === "{") {
      if (++depth > maxDepth) return true;
    } else if ((c === "]" || c === "}") && depth > 0) {
      // Never below zero: stray closers must not buy room for more openers.
      depth--;
    }
  }
  return false;
}
