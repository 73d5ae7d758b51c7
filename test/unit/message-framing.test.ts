import { describe, expect, it } from "vitest";
import { MessageFraming, withConnectionClose, withHost, type MessageHead } from "../../selfhost/message-framing.ts";

type Seen = { heads: MessageHead[]; ends: number; passed: string; lost: string };

/** Feeds `wire` cut at `cuts` and records what the framing saw and passed on, in order. */
function follow(kind: "request" | "response", wire: string, cuts: number[] = [], methods: string[] = []): Seen {
  const seen: Seen = { heads: [], ends: 0, passed: "", lost: "" };
  const pending = [...methods];
  const framing = new MessageFraming(kind, () => pending[0]);
  const sink = {
    head: (head: MessageHead, bytes: Buffer) => {
      seen.heads.push(head);
      seen.passed += bytes.toString("latin1");
    },
    body: (bytes: Buffer) => void (seen.passed += bytes.toString("latin1")),
    end: (head: MessageHead) => {
      seen.ends++;
      if (!head.interim) pending.shift();
    },
    lost: (bytes: Buffer) => void (seen.lost += bytes.toString("latin1")),
    tooLarge: () => void (seen.lost += "<too large>"),
  };
  const bytes = Buffer.from(wire, "latin1");
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    // A fresh buffer per read, overwritten after it is fed, as a socket's may be.
    const read = Buffer.from(bytes.subarray(at, cut));
    framing.feed(read, sink);
    read.fill(0x21);
    at = cut;
  }
  return seen;
}

/** The same, cut at every point and at every pair of points, each giving the same result. */
function followEveryCut(kind: "request" | "response", wire: string, methods: string[] = []): Seen {
  const whole = follow(kind, wire, [], methods);
  for (let a = 1; a < wire.length; a++) {
    expect(follow(kind, wire, [a], methods), `cut at ${a}`).toEqual(whole);
    for (let b = a + 1; b < wire.length; b += 7) expect(follow(kind, wire, [a, b], methods), `cut at ${a}, ${b}`).toEqual(whole);
  }
  return whole;
}

const chunked = (...pieces: string[]) => pieces.map((piece) => `${piece.length.toString(16)}\r\n${piece}\r\n`).join("") + "0\r\n\r\n";

describe("HTTP/1.1 message framing", () => {
  it("follows pipelined requests with a length, chunks (extensions, trailers) and none, passing every byte on", () => {
    const wire =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n{\"a\":\"b\"}\r\n" +
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n" +
      "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n";
    const seen = followEveryCut("request", wire);
    expect(seen.passed).toBe(wire);
    expect(seen.lost).toBe("");
    expect(seen.ends).toBe(3);
    expect(seen.heads.map((head) => [head.method, head.close])).toEqual([
      ["POST", false],
      ["POST", false],
      ["GET", true],
    ]);
  });

  it("drops the empty lines a client may send between requests, and is between messages after them", () => {
    const framing = new MessageFraming("request");
    const sink = { head: () => undefined, body: () => undefined, end: () => undefined, lost: () => undefined, tooLarge: () => undefined };
    framing.feed(Buffer.from("GET / HTTP/1.1\r\n\r\n\r\n"), sink);
    expect(framing.between).toBe(true);
    framing.feed(Buffer.from("GET / HT"), sink);
    expect(framing.between).toBe(false);
  });

  it("ends responses by their framing: chunked, a length, HEAD, 204, 304 and 1xx bodiless, and a stream cut mid-chunk is not ended", () => {
    const wire =
      "HTTP/1.1 100 Continue\r\n\r\n" +
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n${chunked("data: {}\n\n", "data: [DONE]\n\n")}` +
      "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n" +
      "HTTP/1.1 204 No Content\r\n\r\n" +
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n" +
      "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
    const seen = followEveryCut("response", wire, ["POST", "HEAD", "GET", "GET", "POST"]);
    expect(seen.passed).toBe(wire);
    expect(seen.heads.map((head) => [head.status, head.interim, head.close])).toEqual([
      [100, true, false],
      [200, false, false],
      [200, false, false],
      [204, false, false],
      [304, false, false],
      [413, false, true],
    ]);
    expect(seen.ends).toBe(6);
    const cut = follow("response", `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked("data: 1\n\n").slice(0, 8)}`);
    expect(cut.ends).toBe(0);
  });

  it("ends a response without a length where the connection closes, and only then", () => {
    const framing = new MessageFraming("response");
    let ends = 0;
    const sink = { head: () => undefined, body: () => undefined, end: () => void ends++, lost: () => undefined, tooLarge: () => undefined };
    framing.feed(Buffer.from("HTTP/1.0 200 OK\r\n\r\nsome text"), sink);
    expect([ends, framing.between]).toEqual([0, false]);
    expect(framing.closed(sink)).toBe(true);
    expect(ends).toBe(1);
  });

  it.each([
    ["a head that is not HTTP/1.x", "request", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"],
    ["two lengths that disagree", "request", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"],
    ["a request whose last coding is not chunked", "request", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxx"],
    ["a chunk size that is not hex", "request", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello"],
    ["a chunk not followed by its line end", "response", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n"],
  ] as const)("hands on %s as lost, every byte of it, exactly once", (_, kind, wire) => {
    const seen = follow(kind, wire, [3, 40]);
    expect(seen.passed + seen.lost).toBe(wire);
    expect(seen.lost.length).toBeGreaterThan(0);
  });

  it("refuses a head that grows past 64 KiB, handing none of it on", () => {
    const framing = new MessageFraming("request");
    const seen = { tooLarge: 0, handedOn: 0 };
    const sink = { head: () => void seen.handedOn++, body: () => void seen.handedOn++, end: () => undefined, lost: () => void seen.handedOn++, tooLarge: () => void seen.tooLarge++ };
    framing.feed(Buffer.from(`GET / HTTP/1.1\r\nX: ${"a".repeat(60_000)}`), sink);
    expect(seen).toEqual({ tooLarge: 0, handedOn: 0 });
    framing.feed(Buffer.from("a".repeat(10_000)), sink);
    expect(seen).toEqual({ tooLarge: 1, handedOn: 0 });
    expect(framing.lost).toBe(true);
    // The same, arriving whole in one read.
    const whole = new MessageFraming("request");
    whole.feed(Buffer.from(`GET / HTTP/1.1\r\nX: ${"a".repeat(70_000)}\r\n\r\n`), sink);
    expect(seen).toEqual({ tooLarge: 2, handedOn: 0 });
  });

  it("tells an HTTP/1.0 request without a Host from one with it, and from HTTP/1.1 (which must have one), and gives it one", () => {
    const heads = follow("request", "HEAD /health HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\nhost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n").heads;
    expect(heads.map((head) => [head.hostless, head.close])).toEqual([
      [true, true],
      [false, true],
      [false, false],
    ]);
    expect(withHost(Buffer.from("HEAD /health HTTP/1.0\nUser-Agent: probe\n\n"), "localhost").toString()).toBe("HEAD /health HTTP/1.0\r\nUser-Agent: probe\r\nHost: localhost\r\n\r\n");
  });

  it("adds Connection: close to a response head in place of its own connection headers", () => {
    const head = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n");
    expect(withConnectionClose(head).toString()).toBe("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  });
});
