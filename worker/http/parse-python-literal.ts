/**
 * Parses the Python-literal form in which IMS documents its Spec 2 Message field
 * (`[{'role': 'user', 'content': '...'}]`): single- or double-quoted strings, numbers,
 * True/False/None, lists and dicts, trailing commas. It only builds data: nothing in the
 * input is ever evaluated. JSON is a subset of what it accepts.
 */
export class LiteralSyntaxError extends Error {
  constructor(message: string, position: number) {
    super(`${message} at position ${position}`);
  }
}

const escapes: Record<string, string> = { n: "\n", t: "\t", r: "\r", b: "\b", f: "\f", "0": "\0", "\\": "\\", "'": "'", '"': '"', "/": "/", "\n": "" };
const keywords: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
const number = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const word = /[A-Za-z_]+/y;

export function parsePythonLiteral(text: string, maxDepth = 64): unknown {
  let i = 0;

  const fail = (message: string): never => {
    throw new LiteralSyntaxError(message, i);
  };
  const skip = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };

  const string = (): string => {
    const quote = text[i++]!;
    let out = "";
    let start = i;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i]!;
      if (c === quote) break;
      if (c !== "\\") {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      if (e === "u" || e === "x") {
        const length = e === "u" ? 4 : 2;
        const hex = text.slice(i + 2, i + 2 + length);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) fail("bad escape");
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2 + length;
      } else if (e !== undefined && e in escapes) {
        out += escapes[e];
        i += 2;
      } else {
        // Python keeps an unknown escape as written.
        out += "\\";
        i += 1;
      }
      start = i;
    }
    out += text.slice(start, i);
    i++;
    return out;
  };

  const sequence = <T>(close: string, item: () => T, depth: number): T[] => {
    if (depth > maxDepth) fail(`nesting deeper than ${maxDepth}`);
    i++;
    const items: T[] = [];
    for (;;) {
      skip();
      if (text[i] === close) break;
      items.push(item());
      skip();
      if (text[i] === ",") i++;
      else if (text[i] !== close) fail(`expected , or ${close}`);
    }
    i++;
    return items;
  };

  const value = (depth: number): unknown => {
    skip();
    const c = text[i];
    if (c === "'" || c === '"') return string();
    if (c === "[") return sequence("]", () => value(depth + 1), depth + 1);
    if (c === "{") {
      const entries = sequence(
        "}",
        () => {
          skip();
          if (text[i] !== "'" && text[i] !== '"') fail("expected a string key");
          const key = string();
          skip();
          if (text[i++] !== ":") fail("expected :");
          return [key, value(depth + 1)] as const;
        },
        depth + 1,
      );
      // Defined, not assigned (as JSON.parse does): a "__proto__" key stays a plain key.
      return Object.fromEntries(entries);
    }
    number.lastIndex = i;
    const digits = number.exec(text);
    if (digits) {
      i += digits[0].length;
      return Number(digits[0]);
    }
    word.lastIndex = i;
    const name = word.exec(text)?.[0];
    if (name !== undefined && name in keywords) {
      i += name.length;
      return keywords[name];
    }
    return fail(i >= text.length ? "unexpected end" : "unexpected character");
  };

  const result = value(0);
  skip();
  if (i < text.length) fail("unexpected text after the value");
  return result;
}
