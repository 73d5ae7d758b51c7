// The self-hosted front (selfhost/front-server.ts) in front of node:http on a Unix socket standing in
// for workerd: what a caller receives is what the runtime wrote, as it wrote it; keep-alive, pipelining
// and bodiless responses keep their meaning; and the drain keeps its promises (refuse new
// connections, close idle ones, finish what is in flight, cut what is left).
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFrontServer, type FrontServer, type FrontTiming } from "../selfhost/front-server.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let dir: string;
let runtime: Server;
let handler: Handler;
/** Connections the runtime accepted, and those it saw close. */
let runtimeConnections: { opened: number; closed: number };
let front: FrontServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "front-relay-"));
  // This test's own counts: a connection of the test before may close after it.
  const counts = (runtimeConnections = { opened: 0, closed: 0 });
  runtime = createServer((req, res) => handler(req, res));
  runtime.on("connection", (socket) => {
    counts.opened++;
    socket.on("close", () => counts.closed++);
  });
  await new Promise<void>((resolve) => runtime.listen(join(dir, "runtime.sock"), resolve));
  front = await startFrontServer("127.0.0.1", 0, runtime.address() as string);
});

/** A front with shorter timeouts in place of the test's own. */
async function restartFront(timing: Partial<FrontTiming>) {
  front.destroy();
  front = await startFrontServer("127.0.0.1", 0, runtime.address() as string, { keepAliveTimeoutMs: 65_000, runtimeIdleMs: 10_000, headTimeoutMs: 60_000, refusedLingerMs: 5_000, ...timing });
}

afterEach(async () => {
  front.destroy();
  runtime.closeAllConnections();
  await new Promise((resolve) => runtime.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const frontAddress = () => new URL(front.url);

/**
 * A raw connection to the front, collecting what it receives, and whether it ended or broke.
 * `halfOpen`: it does not close its side when the front closes its own, as a caller whose event
 * loop is busy does not.
 */
function rawClient(halfOpen = false) {
  const { hostname, port } = frontAddress();
  const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: halfOpen });
  const state = { received: "", ended: false, closed: false };
  socket.setEncoding("latin1");
  socket.on("data", (text: string) => (state.received += text));
  socket.on("end", () => (state.ended = true));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.on("close", () => ((state.closed = true), resolve())));
  const waitFor = async (text: string) => {
    for (let i = 0; i < 500 && !state.received.includes(text); i++) await sleep(10);
    return state.received.includes(text);
  };
  return { socket, state, closed, waitFor };
}

/** The same request sent straight to the runtime's socket: what the front must hand on unchanged. */
function direct(wire: string) {
  return new Promise<string>((resolve) => {
    const socket = connect(runtime.address() as string);
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => (received += text));
    socket.on("close", () => resolve(received));
    socket.write(wire);
  });
}

const sse = (i: number) => `data: {"choices":[{"delta":{"content":"w${i} "}}]}\n\n`;

describe("the self-hosted front relays", () => {
  it("each write of a stream as it is written, byte for byte what the runtime sent", async () => {
    const seen: ((value: unknown) => void)[] = [];
    handler = async (_req, res) => {
      res.sendDate = false;
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 5; i++) {
        res.write(sse(i));
        // The next event is written only once the caller has this one: a front that held bytes back would hang here.
        await new Promise((resolve) => seen.push(resolve));
      }
      res.end("data: [DONE]\n\n");
    };
    const wire = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    const client = rawClient();
    client.socket.write(wire);
    for (let i = 0; i < 5; i++) {
      expect(await client.waitFor(sse(i))).toBe(true);
      seen.shift()!(undefined);
    }
    await client.closed;
    expect(client.state.ended).toBe(true);
    // The same exchange straight with the runtime, with the caller's release of each event done at once.
    const released = setInterval(() => seen.shift()?.(undefined), 5);
    const straight = await direct(wire);
    clearInterval(released);
    expect(client.state.received).toBe(straight);
  });

  it("a keep-alive connection across the runtime's own idle close: the caller's connection is kept, the next request reaches a new one", async () => {
    // As workerd does, the runtime closes a connection left idle, without saying so in its answer.
    handler = (req, res) => {
      res.on("finish", () => setTimeout(() => req.socket.end(), 200));
      res.end("ok");
    };
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
        const req = request(`${front.url}/health`, { agent }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (text: string) => (body += text));
          res.on("end", () => resolve({ body, reused: req.reusedSocket }));
        });
        req.on("error", reject).end();
      });
    expect(await get()).toEqual({ body: "ok", reused: false });
    // The runtime closes its idle connection after 200 ms; the caller's stays open.
    for (let i = 0; i < 100 && runtimeConnections.closed === 0; i++) await sleep(10);
    expect(runtimeConnections.closed).toBe(1);
    expect(await get()).toEqual({ body: "ok", reused: true });
    expect(runtimeConnections.opened).toBe(2);
    agent.destroy();
  });

  it("closes its own connection to the runtime once idle, before workerd would, and the caller's next request goes on a new one", async () => {
    // This runtime never closes an idle connection: the close below is the front's.
    runtime.keepAliveTimeout = 0;
    await restartFront({ runtimeIdleMs: 150 });
    handler = (_req, res) => res.end("ok");
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<boolean>((resolve, reject) => {
        const req = request(`${front.url}/health`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve(req.reusedSocket));
        });
        req.on("error", reject).end();
      });
    expect(await get()).toBe(false);
    for (let i = 0; i < 200 && runtimeConnections.closed === 0; i++) await sleep(10);
    expect(runtimeConnections.closed).toBe(1);
    expect(await get()).toBe(true);
    expect(runtimeConnections.opened).toBe(2);
    agent.destroy();
  });

  it("an HTTP/1.0 health check without a Host (which workerd refuses) reaches the runtime with one, and its connection closes after", async () => {
    let host: string | undefined;
    handler = (req, res) => {
      host = req.headers.host;
      res.end();
    };
    const client = rawClient();
    client.socket.write("HEAD /health HTTP/1.0\r\n\r\n");
    await client.closed;
    expect(host).toBe("localhost");
    expect(client.state.received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(client.state.ended).toBe(true);
  });

  it("answers a head that never ends with 408 and closes, without troubling the runtime", async () => {
    await restartFront({ headTimeoutMs: 200 });
    const client = rawClient();
    client.socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Len");
    await client.closed;
    expect(client.state.received).toBe("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    expect(client.state.ended).toBe(true);
    expect(runtimeConnections.opened).toBe(0);
  });

  it("times a head sent while a reply still streams from that reply's end, not from its own start", async () => {
    await restartFront({ headTimeoutMs: 300 });
    handler = async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 6; i++) {
        res.write(sse(i));
        await sleep(100);
      }
      res.end();
    };
    const client = rawClient();
    client.socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHo");
    await client.closed;
    // The whole reply (600 ms, twice the head timeout) came first, then the 408 for the head that never ended.
    expect(client.state.received).toContain(`${sse(5)}\r\n0\r\n\r\nHTTP/1.1 408 Request Timeout\r\n`);
  });

  it("answers a head over 64 KiB with 431 and closes, without troubling the runtime", async () => {
    const client = rawClient();
    client.socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(1_000_000)}\r\n\r\n`);
    await client.closed;
    expect(client.state.received).toBe("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    expect(runtimeConnections.opened).toBe(0);
  });

  it("lets a refused caller that goes on sending read its answer, then cuts it off at the linger", async () => {
    const lingerMs = 500;
    await restartFront({ refusedLingerMs: lingerMs });
    // Half-open, as a caller still busy sending is: it does not close when the front closes its side.
    const client = rawClient(true);
    const sentAt = performance.now();
    client.socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(70_000)}`);
    const sending = setInterval(() => client.socket.write("a".repeat(1_000)), 20);
    try {
      await client.closed;
      // The linger runs from the refusal, which came after the head was sent: a cut sooner fails here.
      expect(performance.now() - sentAt).toBeGreaterThanOrEqual(lingerMs);
    } finally {
      clearInterval(sending);
    }
    // Its bytes were read (and dropped) meanwhile, so the answer was not lost to a reset.
    expect(client.state.received).toBe("HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    expect(runtimeConnections.opened).toBe(0);
  });

  it("pipelined requests in order on one connection: a HEAD's length carries no body, a chunked upload is read whole", async () => {
    handler = (req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (text: string) => (body += text));
      req.on("end", () => {
        res.sendDate = false;
        res.setHeader("content-length", Buffer.byteLength(`${req.method} ${body}`));
        res.end(req.method === "HEAD" ? undefined : `${req.method} ${body}`);
      });
    };
    const client = rawClient();
    client.socket.write(
      "HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n" +
        "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n4\r\n two\r\n0\r\n\r\n" +
        "GET /c HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    expect(await client.waitFor("GET ")).toBe(true);
    const statuses = client.state.received.match(/HTTP\/1\.1 200 OK/g);
    expect(statuses).toHaveLength(3);
    expect(client.state.received).toContain("\r\n\r\nPOST one two");
    expect(client.state.received.endsWith("\r\n\r\nGET ")).toBe(true);
    // All three answered: the connection is idle, so a drain closes it at once.
    expect(front.inFlight()).toBe(0);
    expect(await front.drain(5_000)).toBe(0);
    await client.closed;
    expect(client.state.ended).toBe(true);
  });

  it("the caller's hang-up to the runtime: its connection closes before the reply's first byte", async () => {
    let runtimeSaw: () => void = () => undefined;
    const hungUp = new Promise<void>((resolve) => (runtimeSaw = resolve));
    handler = (_req, res) => res.on("close", runtimeSaw);
    const client = rawClient();
    client.socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    for (let i = 0; i < 100 && front.inFlight() === 0; i++) await sleep(10);
    client.socket.end();
    await hungUp;
    expect(front.inFlight()).toBe(0);
  });

  it("closes a caller's connection left idle past the keep-alive timeout, and never one whose reply is only slow", async () => {
    // The slow caller is checked within a few ms of its reply, and the timeout leaves room for a
    // loaded machine's pauses: it closes legitimately only once idle for the whole timeout.
    await restartFront({ keepAliveTimeoutMs: 800 });
    handler = async (req, res) => {
      if (req.url === "/quick") return void res.end("ok");
      // Quiet for twice the keep-alive timeout before the first byte: slow, not idle.
      await sleep(1_600);
      res.end("late");
    };
    const idle = rawClient();
    idle.socket.write("GET /quick HTTP/1.1\r\nHost: x\r\n\r\n");
    const slow = rawClient();
    slow.socket.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    await idle.closed;
    expect(idle.state.received).toMatch(/\r\n\r\nok$/);
    expect(await slow.waitFor("late")).toBe(true);
    expect(slow.state.closed).toBe(false);
    slow.socket.destroy();
  });

  it("holds the runtime back while the caller does not read, rather than taking the reply into memory", async () => {
    const piece = Buffer.alloc(64 * 1024, "x");
    let written = 0;
    handler = async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      // Up to 64 MiB, each write waiting for the socket to take the last.
      while (written < 64 * 1024 * 1024 && !res.destroyed) {
        written += piece.length;
        if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve));
      }
      res.end();
    };
    const client = rawClient();
    client.socket.pause();
    client.socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(1_500);
    // The sockets' buffers on the way hold a few MiB at most; a front that did not push back would have read it all.
    expect(written).toBeLessThan(16 * 1024 * 1024);
    client.socket.destroy();
  });

  it("holds the caller's upload back while the runtime does not read it", async () => {
    // Never reads the body: node:http stops reading the socket once its buffers are full.
    handler = () => undefined;
    const client = rawClient();
    const size = 64 * 1024 * 1024;
    client.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
    const piece = Buffer.alloc(1024 * 1024, "x");
    for (let sent = 0; sent < size; sent += piece.length) client.socket.write(piece);
    await sleep(1_500);
    // The writes the system has taken whole (bytesWritten counts what is still queued here too): a front that did not
    // push back would have taken all 64 MiB.
    expect(client.socket.bytesWritten - client.socket.writableLength).toBeLessThan(16 * 1024 * 1024);
    client.socket.destroy();
  });

  it("begins no request a caller sends after the front has closed its side of the connection", async () => {
    const seen: string[] = [];
    handler = (req, res) => {
      seen.push(req.url!);
      res.end("ok");
    };
    const client = rawClient(true);
    client.socket.write("GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    for (let i = 0; i < 100 && !client.state.ended; i++) await sleep(10);
    expect(client.state.ended).toBe(true);
    client.socket.write("GET /second HTTP/1.1\r\nHost: x\r\n\r\n");
    await sleep(200);
    expect(seen).toEqual(["/first"]);
    client.socket.destroy();
  });

  it("a response the runtime breaks off as broken: the caller's connection is reset, never ended as if complete", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sse(0));
      setTimeout(() => res.socket!.destroy(), 50);
    };
    const response = await fetch(`${front.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    await expect(response.text()).rejects.toThrow();
    // Reset, not ended: even a client that would take a short chunked body as whole sees the failure.
    const client = rawClient();
    client.socket.write("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    await client.closed;
    expect(client.state.received).toContain(sse(0));
    expect(client.state.ended).toBe(false);
  });
});

describe("the self-hosted front's drain", () => {
  it("refuses new connections, closes idle ones, finishes a stream in flight, and tells a response begun after it that the connection closes", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    handler = async (req, res) => {
      if (req.url === "/idle") return void res.end("ok");
      if (req.url === "/late") {
        await released;
        return void res.end("late");
      }
      // The stream is in flight until the test releases it, however long the steps before take.
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(sse(0));
      await released;
      for (let i = 1; i < 4; i++) {
        res.write(sse(i));
        await sleep(50);
      }
      res.end("data: [DONE]\n\n");
    };
    const idle = rawClient();
    idle.socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await idle.waitFor("ok")).toBe(true);
    const unresponsive = rawClient(true);
    unresponsive.socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await unresponsive.waitFor("ok")).toBe(true);
    const streaming = rawClient();
    streaming.socket.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(await streaming.waitFor(sse(0))).toBe(true);
    const late = rawClient();
    late.socket.write("GET /late HTTP/1.1\r\nHost: x\r\n\r\n");
    for (let i = 0; i < 100 && front.inFlight() < 2; i++) await sleep(10);
    expect(front.inFlight()).toBe(2);

    const drained = front.drain(5_000);
    await idle.closed;
    // Closed outright, not only ended: what it sends now is refused by the system, so nothing holds the process open.
    for (let i = 0; i < 100 && !unresponsive.state.ended; i++) await sleep(10);
    expect(unresponsive.state.ended).toBe(true);
    const refusedWrite = new Promise<string>((resolve) => unresponsive.socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error")));
    for (let i = 0; i < 5; i++) {
      unresponsive.socket.write("GET /idle HTTP/1.1\r\nHost: x\r\n\r\n");
      await sleep(20);
    }
    expect(await refusedWrite).toMatch(/^(ECONNRESET|EPIPE)$/);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(Number(frontAddress().port), "127.0.0.1");
      socket.on("connect", () => resolve("connected"));
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    release();
    expect(await drained).toBe(0);
    await Promise.all([streaming.closed, late.closed]);
    expect(streaming.state.received).toContain(`${sse(3)}\r\n`);
    expect(streaming.state.received.endsWith("0\r\n\r\n")).toBe(true);
    expect(late.state.received).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n\r\nlate$/);
    expect(late.state.ended && streaming.state.ended).toBe(true);
  });

  it("relays an interim response as it is while draining, and tells only the final one that the connection closes", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The runtime sends its 100 Continue only once the drain has begun.
    runtime.on("checkContinue", async (req: IncomingMessage, res: ServerResponse) => {
      await released;
      res.writeContinue();
      req.resume();
      req.on("end", () => res.end("ok"));
    });
    const client = rawClient();
    client.socket.write("POST /upload HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    for (let i = 0; i < 100 && front.inFlight() === 0; i++) await sleep(10);
    const drained = front.drain(5_000);
    release();
    expect(await client.waitFor("HTTP/1.1 100 Continue\r\n\r\n")).toBe(true);
    client.socket.write("{}");
    await client.closed;
    expect(await drained).toBe(0);
    expect(client.state.received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n[^]*\r\nok$/);
  });

  it("cuts what is still streaming when the grace period ends: the caller's stream breaks, and the cut is counted", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const timer = setInterval(() => res.write(sse(0)), 20);
      res.on("close", () => clearInterval(timer));
    };
    const response = await fetch(`${front.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    const read = response.text();
    read.catch(() => undefined);
    expect(await front.drain(200)).toBe(1);
    await expect(read).rejects.toThrow();
  });
});
