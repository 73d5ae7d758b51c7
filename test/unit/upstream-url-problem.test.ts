// UPSTREAM_BASE_URL is refused unless it is a public https URL, or a private one that local
// development allows explicitly. Hosts are given in every spelling the URL parser accepts.
import { describe, expect, it } from "vitest";
import { upstreamUrlProblem } from "../../worker/security/upstream-url-problem.ts";

const accepted = [
  "https://api.openai.com/v1",
  "https://dashscope.aliyuncs.com/compatible-mode/v1",
  "https://my-vllm.example.com:8443/v1?api-version=2024-02-01",
  "https://8.8.8.8/v1",
  "https://[2606:4700:4700::1111]/v1",
  "https://[::ffff:808:808]/v1",
  "https://172.32.0.1/",
  "https://100.128.0.1/",
  "https://192.169.0.1/",
  "HTTPS://API.OPENAI.COM/v1",
];

const privateHosts = [
  "localhost",
  "LOCALHOST",
  "localhost.",
  "api.localhost",
  "metadata.google.internal",
  "metadata",
  "printer.local",
  "router.home.arpa",
  "127.0.0.1",
  "127.1",
  "127.255.255.254",
  "127.0.0.1.",
  "127.000.000.001",
  "0X7F000001",
  "\uff11\uff12\uff17.\uff10.\uff10.\uff11", // full-width digits, mapped to 127.0.0.1
  "\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3", // circled letters, mapped to localhost
  "0251.0376.0251.0376",
  "2130706433",
  "0x7f000001",
  "0x7f.0.0.1",
  "0177.0.0.1",
  "017700000001",
  "0",
  "0.0.0.0",
  "10.0.0.1",
  "10.255.255.255",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.1.1",
  "169.254.169.254",
  "2852039166",
  "0xa9fea9fe",
  "100.64.0.1",
  "100.100.100.200",
  "192.0.0.192",
  "198.18.0.1",
  "224.0.0.1",
  "255.255.255.255",
  "[::1]",
  "[0:0:0:0:0:0:0:1]",
  "[::]",
  "[::ffff:127.0.0.1]",
  "[::ffff:7f00:1]",
  "[::ffff:7f00:0001]",
  "[0:0:0:0:0:ffff:127.0.0.1]",
  "[::ffff:a9fe:a9fe]",
  "[::ffff:169.254.169.254]",
  "[::ffff:10.0.0.1]",
  "[::127.0.0.1]",
  "[64:ff9b::a9fe:a9fe]",
  "[2002:7f00:1::]",
  "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
  "[fc00::1]",
  "[fd00:ec2::254]",
  "[fe80::1]",
  "[febf::1]",
  "[fec0::1]",
  "[ff02::1]",
];

describe("upstreamUrlProblem", () => {
  it.each(accepted)("accepts %s", (url) => {
    expect(upstreamUrlProblem(url, false)).toBeUndefined();
  });

  it.each(privateHosts)("refuses https://%s/ unless private upstreams are allowed", (host) => {
    expect(upstreamUrlProblem(`https://${host}/v1`, false)).toMatch(/private/);
    expect(upstreamUrlProblem(`https://${host}/v1`, true)).toBeUndefined();
  });

  it.each(["http://127.0.0.1:11434/v1", "http://localhost:8000/v1", "http://[::1]:8000/", "http://10.0.0.5/v1", "http://gpu-box:8000/v1"])(
    "accepts plain http to %s only when private upstreams are allowed",
    (url) => {
      expect(upstreamUrlProblem(url, false)).toMatch(/private/);
      expect(upstreamUrlProblem(url, true)).toBeUndefined();
    },
  );

  it.each([
    ["http://api.openai.com/v1", /https/],
    ["http://8.8.8.8/v1", /https/],
    ["ftp://example.com/", /https/],
    ["file:///etc/passwd", /https/],
    ["javascript:alert(1)", /https/],
    ["data:text/plain,hi", /https/],
    ["ws://example.com/", /https/],
    ["api.openai.com/v1", /absolute/],
    ["", /absolute/],
    ["https://", /absolute/],
    ["https://[::1", /absolute/],
    ["https://exa mple.com/", /absolute/],
    ["https://user:secret-pass@api.example.com/v1", /credentials/],
    ["https://sk-live-key@api.example.com/v1", /credentials/],
    ["https://:pass@api.example.com/v1", /credentials/],
    ["https://api.example.com/v1#frag", /fragment/],
  ])("refuses %s even when private upstreams are allowed", (url, reason) => {
    expect(upstreamUrlProblem(url, true)).toMatch(reason);
    expect(upstreamUrlProblem(url, false)).toMatch(reason);
  });

  it("never quotes the URL it refuses", () => {
    for (const url of ["https://user:hunter2-secret@api.example.com/v1", "http://hunter2-secret.example.com/", "https://127.0.0.1/hunter2-secret"]) {
      expect(upstreamUrlProblem(url, false)).not.toMatch(/hunter2/);
    }
  });
});
