import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import type { FuzzRequest } from "./fuzz-requests.ts";

/** An HTTP/1.1 answer read off a raw socket; status 0 when the server closed without one. */
export interface RawAnswer {
  /** Undefined when the server closed the connection without answering. */
  response: Response | undefined;
  text: string;
}

/** The bytes a broken client writes after the head: chunked framing that breaks at `at`, or a declared body cut at `at`. */
function framing(body: Buffer, wire: NonNullable<FuzzRequest["wire"]>): { headers: string; bytes: Buffer } {
  const at = wire.at % (body.length + 1);
  if (wire.kind === "cut") {
    // One byte more is declared than the whole body, so even a cut at the end is short.
    return { headers: `content-length: ${body.length + (at === body.length ? 1 : 0)}\r\n`, bytes: body.subarray(0, at) };
  }
  const first = at > 0 ? Buffer.concat([Buffer.from(`${at.toString(16)}\r\n`), body.subarray(0, at), Buffer.from("\r\n")]) : Buffer.alloc(0);
  // Either a size line that is not hex, or a chunk that promises more than ever arrives.
  const broken = Buffer.from(at % 2 ? "zz-not-hex\r\n\r\n" : `${(body.length - at + 16).toString(16)}\r\n${body.subarray(at).toString("latin1")}`, "latin1");
  return { headers: "transfer-encoding: chunked\r\n", bytes: Buffer.concat([first, broken]) };
}

/** The body of an answer, undoing chunked transfer coding when the server used it. */
function decodeBody(head: string, body: Buffer): Buffer {
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body;
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const lineEnd = body.indexOf("\r\n", at);
    const size = parseInt(body.subarray(at, lineEnd).toString("latin1"), 16);
    if (lineEnd < 0 || !(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/**
 * Sends a request the way a broken client would (see FuzzRequest.wire) on its own connection,
 * stops writing, and reads whatever the server answers before it closes the connection.
 */
export function sendRaw(request: FuzzRequest & { wire: NonNullable<FuzzRequest["wire"]> }, timeoutMs: number): Promise<RawAnswer> {
  const url = new URL(request.url);
  const body = typeof request.body === "string" ? Buffer.from(request.body) : Buffer.from(request.body ?? new Uint8Array(0));
  const { headers, bytes } = framing(body, request.wire);
  const fields = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  const head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nconnection: close\r\n${fields}${headers}\r\n`;
  return new Promise((resolve, reject) => {
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const socket: Socket = url.protocol === "https:" ? connectTls({ host: url.hostname, port, servername: url.hostname }) : connectTcp(port, url.hostname);
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms on a raw connection`));
    }, timeoutMs);
    socket.on("data", (data: Buffer) => received.push(data));
    // A reset after the answer arrived is the server closing on an unread body: the answer counts.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(received);
      const split = all.indexOf("\r\n\r\n");
      const headText = split < 0 ? "" : all.subarray(0, split).toString("latin1");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(headText)?.[1] ?? 0);
      const text = split < 0 ? "" : decodeBody(headText, all.subarray(split + 4)).toString("utf8");
      const contentType = /\r\ncontent-type:\s*([^\r\n]*)/i.exec(headText)?.[1] ?? "";
      resolve({ response: status >= 200 ? new Response(status === 204 || status === 304 ? null : text, { status, headers: { "content-type": contentType } }) : undefined, text });
    });
    socket.on(url.protocol === "https:" ? "secureConnect" : "connect", () => {
      socket.write(head);
      socket.end(bytes);
    });
  });
}
