// The public socket of the self-hosted server: TCP on HOST:PORT, each connection relayed to workerd's
// Unix socket byte for byte, never buffered, never parsed more than it takes to know where each
// message ends (message-framing.ts). It exists for shutdown. On SIGTERM workerd stops answering but
// keeps its socket open, so a request that arrives then waits unanswered until workerd exits and is
// then reset (measured on workerd 2026-11-17, selfhost/README.md "How it stops"); this front instead
// stops listening at once, so new connections are refused, closes idle keep-alive connections, and
// closes each busy one as its response ends. It relays bytes rather than re-serving HTTP: reading
// and writing each message through node:http cost about twice the CPU per stream (bench/README.md
// "The self-hosted front").
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { MessageFraming, withConnectionClose, withHost, type FramingSink, type MessageHead } from "./message-framing.ts";

export interface FrontServer {
  /** The address clients use, e.g. http://127.0.0.1:9000. */
  url: string;
  /** Requests whose response has not been sent in full. */
  inFlight: () => number;
  /**
   * Stops listening and lets the responses in flight finish, for at most `graceMs`; then cuts
   * what is left. Resolves with the number of connections cut.
   */
  drain: (graceMs: number) => Promise<number>;
  /** Cuts every connection at once: the runtime behind them is gone. */
  destroy: () => void;
}

/** The front's timeouts; tests shorten them. */
export interface FrontTiming {
  keepAliveTimeoutMs: number;
  runtimeIdleMs: number;
  headTimeoutMs: number;
  refusedLingerMs: number;
}

const TIMING: FrontTiming = {
  /**
   * Longer than the 60 s idle timeout load balancers commonly keep, so the balancer closes an idle
   * connection first: the side that closes first races a request the other may be sending on it.
   */
  keepAliveTimeoutMs: 65_000,
  /**
   * workerd closes a connection idle for 15 s (measured on workerd 2026-11-17). The front closes its
   * own sooner and opens another for the caller's next request, so it never sends a request on a
   * connection workerd is closing, and the caller's connection outlives workerd's.
   */
  runtimeIdleMs: 10_000,
  /**
   * A head is held by the front until it is whole, so workerd's own header timeout cannot see one
   * that never ends: this bounds it, as node:http's headersTimeout does by default.
   */
  headTimeoutMs: 60_000,
  /** How long a caller that was refused may go on sending (its bytes are read and dropped) before it is cut off. */
  refusedLingerMs: 5_000,
};

interface Hooks {
  draining(): boolean;
  /** The connection finished a response or closed: a drain may be over. */
  settled(): void;
  closed(connection: RelayedConnection): void;
}

/** One caller's connection, and the connection to workerd that serves it while it has requests. */
class RelayedConnection {
  readonly #client: Socket;
  readonly #runtimeSocket: string;
  readonly #hooks: Hooks;
  readonly #timing: FrontTiming;
  readonly #requests = new MessageFraming("request");
  #runtime: Socket | undefined;
  /** Methods of the requests relayed whose final response has not ended, oldest first. */
  readonly #waiting: string[] = [];
  /** The caller or a response asked for the connection to close after the last response. */
  #closeAfter = false;
  #runtimeIdle: NodeJS.Timeout | undefined;
  #headDeadline: NodeJS.Timeout | undefined;
  /** The front has closed its side: the connection ends once the caller closes its own. */
  #ending = false;

  constructor(client: Socket, runtimeSocket: string, hooks: Hooks, timing: FrontTiming) {
    this.#client = client;
    this.#runtimeSocket = runtimeSocket;
    this.#hooks = hooks;
    this.#timing = timing;
    client.setTimeout(timing.keepAliveTimeoutMs);
    client.on("data", (bytes: Buffer) => {
      // A request sent after the front said it closes the connection (a race the caller lost) is not begun.
      if (this.#ending) return;
      this.#requests.feed(bytes, this.#fromClient);
      this.#watchHead();
    });
    client.on("drain", () => this.#runtime?.resume());
    client.on("timeout", () => {
      if (this.idle) client.destroy();
    });
    client.on("error", () => client.destroy());
    client.on("close", () => {
      clearTimeout(this.#runtimeIdle);
      clearTimeout(this.#headDeadline);
      // The caller hung up (IMS barge-in): workerd sees its connection close too.
      this.#runtime?.destroy();
      hooks.closed(this);
    });
  }

  /** Requests relayed and not yet answered in full. */
  get inFlight(): number {
    return this.#waiting.length;
  }

  /** No request is being received or answered. */
  get idle(): boolean {
    return this.#waiting.length === 0 && this.#requests.between;
  }

  /** Ends the connection if it is idle; a busy one ends after its last response (see #settle). */
  drainIfIdle(): void {
    if (this.idle) this.#end();
  }

  /** Resets the caller's connection: a reply cut off is seen as broken by any client, not as a short one. */
  destroy(): void {
    this.#client.resetAndDestroy();
  }

  readonly #fromClient: FramingSink = {
    head: (head, bytes) => {
      clearTimeout(this.#runtimeIdle);
      this.#waiting.push(head.method!);
      if (head.close) this.#closeAfter = true;
      // The Host an HTTP/1.1 client would have sent to this socket.
      this.#toRuntime(head.hostless ? withHost(bytes, "localhost") : bytes);
    },
    body: (bytes) => this.#toRuntime(bytes),
    // A response may have ended before its request did (a refusal sent before the body was read).
    end: () => this.#settle(),
    // Not a message this follows: relayed as it is until either side closes.
    lost: (bytes) => this.#toRuntime(bytes),
    tooLarge: () => this.#refuse("431 Request Header Fields Too Large"),
  };

  readonly #fromRuntime: FramingSink = {
    head: (head, bytes) => {
      if (head.interim) return this.#toClient(bytes);
      const draining = this.#hooks.draining();
      if (draining || head.close || head.endsAtClose) this.#closeAfter = true;
      // While draining, a response not yet begun tells its caller not to send another on this connection.
      this.#toClient(draining ? withConnectionClose(bytes) : bytes);
    },
    body: (bytes) => this.#toClient(bytes),
    end: (head: MessageHead) => {
      if (head.interim) return;
      this.#waiting.shift();
      this.#watchHead();
      this.#settle();
    },
    lost: (bytes) => this.#toClient(bytes),
    // workerd never sends a head that large: whatever this is, it is not a reply.
    tooLarge: () => this.destroy(),
  };

  /**
   * Times a head that has begun and not ended, once no response is owed before it (a caller may
   * send its next request while the last reply still streams).
   */
  #watchHead() {
    if (this.#requests.inHead && this.#waiting.length === 0) {
      this.#headDeadline ??= setTimeout(() => this.#refuse("408 Request Timeout"), this.#timing.headTimeoutMs);
    } else if (this.#headDeadline) {
      clearTimeout(this.#headDeadline);
      this.#headDeadline = undefined;
    }
  }

  /** Answers a head the front will not pass on itself, as node:http did, and closes the connection. */
  #refuse(status: string) {
    // A response is still owed on this connection: an answer now would come out of turn.
    if (this.#waiting.length > 0) return this.destroy();
    this.#client.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    this.#end();
    setTimeout(() => this.#client.destroy(), this.#timing.refusedLingerMs).unref();
  }

  #toRuntime(bytes: Buffer) {
    const runtime = this.#runtime ?? this.#openRuntime();
    if (!runtime.write(bytes)) this.#client.pause();
  }

  #toClient(bytes: Buffer) {
    if (!this.#client.write(bytes)) this.#runtime?.pause();
  }

  #openRuntime(): Socket {
    const runtime = connect(this.#runtimeSocket);
    const responses = new MessageFraming("response", () => this.#waiting[0]);
    runtime.on("data", (bytes: Buffer) => responses.feed(bytes, this.#fromRuntime));
    runtime.on("drain", () => this.#client.resume());
    runtime.on("error", () => runtime.destroy());
    runtime.on("close", () => this.#runtimeClosed(runtime, responses));
    this.#runtime = runtime;
    return runtime;
  }

  #runtimeClosed(runtime: Socket, responses: MessageFraming) {
    // Closed by the front itself once idle: the next request opens another.
    if (runtime !== this.#runtime) return;
    this.#runtime = undefined;
    clearTimeout(this.#runtimeIdle);
    const whole = responses.closed(this.#fromRuntime);
    // workerd broke off a response (or died): the caller sees a broken stream, never one that ends as if complete.
    if (!whole || responses.lost || this.#waiting.length > 0) return this.destroy();
    // A request still arriving cannot go on without the connection that was reading it.
    if (this.#closeAfter || !this.#requests.between) this.#end();
  }

  /** After a response or a request ends: an idle connection closes if it should, else its runtime connection waits. */
  #settle() {
    if (!this.idle) return;
    if (this.#closeAfter || this.#hooks.draining()) this.#end();
    else if (this.#runtime) {
      const runtime = this.#runtime;
      clearTimeout(this.#runtimeIdle);
      this.#runtimeIdle = setTimeout(() => {
        if (this.#runtime !== runtime || !this.idle) return;
        this.#runtime = undefined;
        runtime.end();
      }, this.#timing.runtimeIdleMs);
    }
    this.#hooks.settled();
  }

  #end() {
    this.#ending = true;
    clearTimeout(this.#runtimeIdle);
    // A server that is stopping closes the connection outright once its bytes are out, rather than
    // wait for the caller to close its side: a caller that never does would keep the process running.
    if (this.#hooks.draining()) this.#client.destroySoon();
    else this.#client.end();
    const runtime = this.#runtime;
    this.#runtime = undefined;
    runtime?.end();
  }
}

export function startFrontServer(host: string, port: number, runtimeSocket: string, timing: FrontTiming = TIMING): Promise<FrontServer> {
  const connections = new Set<RelayedConnection>();
  let draining = false;
  let onSettled: (() => void) | undefined;
  const hooks: Hooks = {
    draining: () => draining,
    settled: () => onSettled?.(),
    closed: (connection) => {
      connections.delete(connection);
      onSettled?.();
    },
  };
  // noDelay: each event goes out as it is written, not held back to fill a segment. A caller that
  // closes its side has gone (barge-in), as proxies take it: its connection closes, and with it the
  // request's, before a first token that may be seconds away.
  const server = createServer({ allowHalfOpen: false, noDelay: true }, (client) => {
    connections.add(new RelayedConnection(client, runtimeSocket, hooks, timing));
  });
  const busy = () => [...connections].filter((connection) => !connection.idle);

  const drain = (graceMs: number) =>
    new Promise<number>((resolve) => {
      draining = true;
      server.close();
      for (const connection of connections) connection.drainIfIdle();
      if (busy().length === 0) return resolve(0);
      const deadline = setTimeout(() => {
        const cut = busy();
        for (const connection of cut) connection.destroy();
        resolve(cut.length);
      }, graceMs);
      onSettled = () => {
        if (busy().length > 0) return;
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
        inFlight: () => [...connections].reduce((sum, connection) => sum + connection.inFlight, 0),
        drain,
        destroy: () => {
          server.close();
          for (const connection of connections) connection.destroy();
        },
      });
    });
  });
}
