// Where each HTTP/1.1 message begins and ends in one direction of a connection (RFC 9112 section
// 6), read as the bytes pass, without copying or re-encoding them: heads are parsed, bodies are
// only measured (a length counted down, or chunked framing walked by its size lines). The front
// relays every byte unchanged and uses this to know when a connection is between messages.

/** A head longer than this is refused (node:http's limit was 16 KiB, Cloudflare's for request headers is 128 KB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line (hex size and extensions) or a trailer line longer than this is not followed. */
const MAX_LINE_BYTES = 4096;
const LF = 0x0a;
const CR = 0x0d;

export interface MessageHead {
  /** The request's method; undefined for a response. */
  method: string | undefined;
  /** The response's status; undefined for a request. */
  status: number | undefined;
  /** A 1xx response: another head follows for the same request. */
  interim: boolean;
  /** The sender closes the connection after this message (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** The body has no length and ends where the connection does (a response only). */
  endsAtClose: boolean;
  /**
   * An HTTP/1.0 request without a Host header, which HTTP/1.0 allows (health checks send them) and
   * workerd refuses with 400.
   */
  hostless: boolean;
}

/** Receives one direction's bytes in order, each exactly once. */
export interface FramingSink {
  /** A whole head; `bytes` are exactly what was received for it. */
  head(head: MessageHead, bytes: Buffer): void;
  /** Body bytes as received (for a chunked body, with its framing). */
  body(bytes: Buffer): void;
  /** The message whose head came last has ended. */
  end(head: MessageHead): void;
  /** Bytes that could not be framed (a malformed or unsupported message); all that follows comes here too. */
  lost(bytes: Buffer): void;
  /** A head grew past MAX_HEAD_BYTES without ending: none of it is handed on, and what follows comes to `lost`. */
  tooLarge(): void;
}

type State =
  | "head"
  | "length"
  | "chunk-size"
  | "chunk-data"
  | "chunk-data-end"
  | "trailers"
  // The body runs until the connection closes (a response with no length).
  | "until-close"
  | "lost";

/** Parses one head's text; undefined when it is not an HTTP/1.x message this follows. */
function parseHead(text: string, kind: "request" | "response", requestMethod: string | undefined) {
  const lines = text.split(/\r?\n/);
  // A server ignores empty lines before a request line (RFC 9112 section 2.2).
  while (lines[0] === "") lines.shift();
  const first = lines[0] ?? "";
  const parts = first.split(" ");
  const version = kind === "request" ? parts[2] : parts[0];
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") return undefined;
  const method = kind === "request" ? parts[0] : undefined;
  const status = kind === "response" ? Number(parts[1]) : undefined;
  if (kind === "response" && !(Number.isInteger(status) && status! >= 100 && status! <= 999)) return undefined;
  let length: number | undefined;
  let codings = "";
  let connection = "";
  let host = false;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "content-length") {
      if (!/^\d+$/.test(value) || (length !== undefined && length !== Number(value))) return undefined;
      length = Number(value);
    } else if (name === "transfer-encoding") codings += `,${value.toLowerCase()}`;
    else if (name === "connection") connection += `,${value.toLowerCase()}`;
    else if (name === "host") host = true;
  }
  const tokens = new Set(connection.split(",").map((token) => token.trim()));
  const head: MessageHead = {
    method,
    status,
    interim: status !== undefined && status < 200,
    close: tokens.has("close") || (version === "HTTP/1.0" && !tokens.has("keep-alive")),
    endsAtClose: false,
    hostless: kind === "request" && version === "HTTP/1.0" && !host,
  };
  // 101 hands the connection to another protocol, and CONNECT's success makes it a tunnel: nothing more is framed.
  if (status === 101 || (requestMethod === "CONNECT" && status !== undefined && status < 300)) return { head, body: "lost" as const };
  const bodyless = head.interim || status === 204 || status === 304 || requestMethod === "HEAD";
  if (bodyless) return { head, body: 0 };
  if (codings) {
    const last = codings.split(",").at(-1)!.trim();
    if (last === "chunked") return { head, body: "chunked" as const };
    // A request whose last coding is not chunked has no length it can be read by (RFC 9112 section 6.3).
    if (kind === "request") return undefined;
  } else if (length !== undefined) return { head, body: length };
  else if (kind === "request") return { head, body: 0 };
  head.endsAtClose = true;
  return { head, body: "until-close" as const };
}

/** The bytes String.prototype.trim drops from latin1 text: HT, LF, VT, FF, CR, space, no-break space. */
const trimmed = (byte: number | undefined) => byte !== undefined && ((byte >= 0x09 && byte <= 0x0d) || byte === 0x20 || byte === 0xa0);

/** Whether a line (its line end included) holds nothing but what trim drops. */
function blank(line: Buffer, from = 0): boolean {
  for (let at = from; at < line.length; at++) if (!trimmed(line[at])) return false;
  return true;
}

/** A hex digit's value, or -1. */
function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/**
 * The size a chunk-size line gives (1 to 15 hex digits, then an extension, a space or the line's
 * end), or undefined: read off the bytes, since it runs once per chunk.
 */
function chunkSize(line: Buffer): number | undefined {
  let at = 0;
  while (at < line.length && trimmed(line[at])) at++;
  const first = at;
  let size = 0;
  for (let digit: number; at < line.length && (digit = hexDigit(line[at]!)) >= 0; at++) size = size * 16 + digit;
  const digits = at - first;
  if (digits === 0 || digits > 15) return undefined;
  const next = line[at];
  return next === 0x3b || next === 0x20 || next === 0x09 || blank(line, at) ? size : undefined;
}

/** Where the first empty line after `start` ends in `view`, or -1: the end of a head or of a trailer section. */
function blockEnd(view: Buffer, start: number): number {
  for (let lf = view.indexOf(LF, start); lf >= 0; lf = view.indexOf(LF, lf + 1)) {
    if (view[lf + 1] === LF) return lf + 2;
    if (view[lf + 1] === CR && view[lf + 2] === LF) return lf + 3;
  }
  return -1;
}

/**
 * Follows the messages of one direction of one connection. Heads are held until whole (the
 * front may act on them first); body bytes are handed on as they arrive. `requestMethod` names
 * the method of the request the next response answers (a response to HEAD has no body, whatever
 * its head says).
 */
export class MessageFraming {
  readonly #kind: "request" | "response";
  readonly #requestMethod: () => string | undefined;
  #state: State = "head";
  /** A head held until whole; in a body, the copy of a size or trailer line read so far. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Body or chunk bytes still to come. */
  #remaining = 0;
  #head: MessageHead | undefined;

  constructor(kind: "request" | "response", requestMethod: () => string | undefined = () => undefined) {
    this.#kind = kind;
    this.#requestMethod = requestMethod;
  }

  /** Between messages: every message begun has ended. */
  get between(): boolean {
    return this.#state === "head" && this.#pendingBytes === 0;
  }

  /** Part of a head has arrived, not all of it. */
  get inHead(): boolean {
    return this.#state === "head" && this.#pendingBytes > 0;
  }

  /** The framing was lost: the connection can only be relayed until it closes. */
  get lost(): boolean {
    return this.#state === "lost";
  }

  /** The connection closed. Ends a body that runs until the close; whether it ended whole. */
  closed(sink: FramingSink): boolean {
    if (this.#state === "until-close") {
      this.#state = "head";
      sink.end(this.#head!);
    }
    return this.between;
  }

  feed(bytes: Buffer, sink: FramingSink): void {
    let at = 0;
    // Start of the body bytes not yet handed on.
    let from = 0;
    while (at < bytes.length) {
      switch (this.#state) {
        case "lost":
          return sink.lost(bytes.subarray(at));
        case "until-close":
          at = bytes.length;
          break;
        case "head": {
          // Empty lines between messages are not part of either (RFC 9112 section 2.2): dropped.
          if (this.#pendingBytes === 0) while (at < bytes.length && (bytes[at] === CR || bytes[at] === LF)) at++;
          from = at;
          if (at === bytes.length) break;
          const held = this.#pendingBytes;
          const view = held ? Buffer.concat([...this.#pending, bytes.subarray(at)]) : bytes.subarray(at);
          const end = blockEnd(view, 0);
          if (end > MAX_HEAD_BYTES || (end < 0 && view.length > MAX_HEAD_BYTES)) {
            this.#clear();
            this.#state = "lost";
            return sink.tooLarge();
          }
          if (end < 0) {
            this.#keep(bytes.subarray(at));
            return;
          }
          this.#clear();
          at = from = at + end - held;
          const headBytes = view.subarray(0, end);
          const parsed = parseHead(headBytes.toString("latin1"), this.#kind, this.#kind === "response" ? this.#requestMethod() : undefined);
          if (!parsed) {
            this.#state = "lost";
            return sink.lost(Buffer.concat([headBytes, bytes.subarray(at)]));
          }
          this.#head = parsed.head;
          sink.head(parsed.head, headBytes);
          if (parsed.body === "lost") {
            this.#state = "lost";
            if (at < bytes.length) sink.lost(bytes.subarray(at));
            return;
          }
          if (parsed.body === "chunked") this.#state = "chunk-size";
          else if (parsed.body === "until-close") this.#state = "until-close";
          else if (parsed.body > 0) {
            this.#state = "length";
            this.#remaining = parsed.body;
          } else sink.end(parsed.head);
          break;
        }
        case "length":
        case "chunk-data": {
          const step = Math.min(this.#remaining, bytes.length - at);
          at += step;
          this.#remaining -= step;
          if (this.#remaining > 0) break;
          if (this.#state === "chunk-data") this.#state = "chunk-data-end";
          else {
            this.#ended(bytes, from, at, sink);
            from = at;
          }
          break;
        }
        default: {
          // A chunk's size line, the line end after its data, or a trailer line: body bytes, handed on as they
          // come, with a copy of the line kept until it is whole.
          const lf = bytes.indexOf(LF, at);
          const piece = bytes.subarray(at, lf < 0 ? bytes.length : lf + 1);
          if (this.#pendingBytes + piece.length > MAX_LINE_BYTES) return this.#lose(bytes, from, at, sink);
          if (lf < 0) {
            this.#keep(piece);
            at += piece.length;
            break;
          }
          const line = this.#pendingBytes ? this.#take(piece) : piece;
          // A line that is not what the framing needs is lost from its start in this read.
          if (this.#state === "chunk-data-end") {
            if (!blank(line)) return this.#lose(bytes, from, at, sink);
            this.#state = "chunk-size";
          } else if (this.#state === "chunk-size") {
            const size = chunkSize(line);
            if (size === undefined) return this.#lose(bytes, from, at, sink);
            this.#remaining = size;
            this.#state = size === 0 ? "trailers" : "chunk-data";
            at += piece.length;
            break;
          }
          at += piece.length;
          if (this.#state === "trailers" && blank(line)) {
            this.#ended(bytes, from, at, sink);
            from = at;
          }
          break;
        }
      }
    }
    if (at > from && this.#state !== "head") sink.body(bytes.subarray(from, at));
  }

  /**
   * From `at` in a body on, nothing more is framed: the body bytes before it are handed on as
   * body (a line held in the body was handed on already), the rest as lost.
   */
  #lose(bytes: Buffer, from: number, at: number, sink: FramingSink) {
    if (at > from) sink.body(bytes.subarray(from, at));
    this.#clear();
    this.#state = "lost";
    if (at < bytes.length) sink.lost(bytes.subarray(at));
  }

  /** Hands on the body's last bytes, then its end. */
  #ended(bytes: Buffer, from: number, at: number, sink: FramingSink) {
    if (at > from) sink.body(bytes.subarray(from, at));
    this.#state = "head";
    sink.end(this.#head!);
  }

  #keep(bytes: Buffer) {
    // A copy: what is kept outlives the read it came in.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  /** What was kept, then `rest`, as one buffer; nothing is kept after. */
  #take(rest: Buffer): Buffer {
    const whole = Buffer.concat([...this.#pending, rest]);
    this.#clear();
    return whole;
  }

  #clear() {
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** The head with the header lines `drop` matches left out and `line` added at its end (lines end in CRLF). */
function rewrittenHead(head: Buffer, drop: RegExp | undefined, line: string): Buffer {
  const lines = head
    .toString("latin1")
    .split(/\r?\n/)
    .filter((kept) => kept !== "" && !drop?.test(kept));
  return Buffer.from(`${[...lines, line].join("\r\n")}\r\n\r\n`, "latin1");
}

/** A response head that tells its caller the connection closes after it (the server is draining). */
export const withConnectionClose = (head: Buffer) => rewrittenHead(head, /^(connection|keep-alive)\s*:/i, "Connection: close");

/** A request head given the Host it lacks. */
export const withHost = (head: Buffer, host: string) => rewrittenHead(head, undefined, `Host: ${host}`);
