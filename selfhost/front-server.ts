// The public socket of the self-hosted server: HTTP on HOST:PORT, passed on to workerd over a Unix
// socket as it comes, never buffered. It exists for shutdown. On SIGTERM workerd stops answering but
// keeps its socket open, so a request that arrives then waits unanswered until workerd exits and is
// then reset (measured on workerd 2026-11-17, README "Self-hosted"); this front instead stops
// listening at once, so new connections are refused, closes idle keep-alive connections, and closes
// each busy one as its response ends.
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream";

export interface FrontServer {
  /** The address clients use, e.g. http://127.0.0.1:9000. */
  url: string;
  /** Responses not yet sent in full. */
  inFlight: () => number;
  /**
   * Stops listening and lets the responses in flight finish, for at most `graceMs`; then cuts
   * what is left. Resolves with the number of responses cut.
   */
  drain: (graceMs: number) => Promise<number>;
  /** Cuts every connection at once: the runtime behind them is gone. */
  destroy: () => void;
}

/** Hop-by-hop headers (RFC 9110 section 7.6.1) describe one connection, so they are not passed on. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);
/**
 * Longer than the 60 s idle timeout load balancers commonly keep, so the balancer closes an idle
 * connection first: the side that closes first races a request the other may be sending on it.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const connectionNamed = (value: string | string[] | undefined) => new Set(String(value ?? "").split(",").map((name) => name.trim().toLowerCase()));

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = connectionNamed(headers.connection);
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name) && !named.has(name)));
}

/** Raw [name, value, ...] pairs without the hop-by-hop ones, so repeated headers stay as they were sent. */
function endToEndRaw(raw: string[]): string[] {
  const named = connectionNamed(raw.flatMap((value, i) => (i % 2 === 0 && value.toLowerCase() === "connection" ? [raw[i + 1]!] : [])).join(","));
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) kept.push(raw[i]!, raw[i + 1]!);
  }
  return kept;
}

export function startFrontServer(host: string, port: number, runtimeSocket: string): Promise<FrontServer> {
  // Connections to workerd are kept and reused, as callers keep theirs.
  const agent = new Agent({ keepAlive: true });
  const busy = new Set<ServerResponse>();
  let draining = false;
  let onDrained: (() => void) | undefined;

  const server = createServer((req, res) => {
    busy.add(res);
    const socket = req.socket;
    const upstream = httpRequest({ agent, socketPath: runtimeSocket, method: req.method, path: req.url, headers: endToEnd(req.headers) }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEndRaw(answer.rawHeaders));
      // pipeline destroys `res` if workerd breaks the stream off: the caller sees it broken, never ended as if complete.
      pipeline(answer, res, () => undefined);
    });
    upstream.on("error", () => res.destroy());
    pipeline(req, upstream, () => undefined);
    res.on("finish", () => {
      if (draining) socket.end();
    });
    res.on("close", () => {
      busy.delete(res);
      // The caller hung up before the end (barge-in): workerd sees its connection close too.
      if (!res.writableFinished) upstream.destroy();
      if (draining && busy.size === 0) onDrained?.();
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;

  const drain = (graceMs: number) =>
    new Promise<number>((resolve) => {
      draining = true;
      server.close();
      server.closeIdleConnections();
      // A response not yet begun tells its caller the connection closes after it.
      for (const res of busy) if (!res.headersSent) res.shouldKeepAlive = false;
      if (busy.size === 0) return resolve(0);
      const deadline = setTimeout(() => {
        const cut = busy.size;
        server.closeAllConnections();
        resolve(cut);
      }, graceMs);
      onDrained = () => {
        clearTimeout(deadline);
        resolve(0);
      };
    });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { address, port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${address.includes(":") ? `[${address}]` : address}:${bound}`,
        inFlight: () => busy.size,
        drain,
        destroy: () => {
          server.close();
          server.closeAllConnections();
          agent.destroy();
        },
      });
    });
  });
}
