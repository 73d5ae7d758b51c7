import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect, it } from "vitest";
import { junitReport } from "../../contracts/conformance/junit-report.ts";
import type { VerifyReport } from "../../contracts/conformance/verify-report.ts";

/** What a server may send back, quoted in a failure: markup, quotes and bytes XML cannot hold. */
const HOSTILE = 'got <b>"&\'</b>\u0000\u0007\uFFFF]]> end';

const report: VerifyReport = {
  spec: "alibaba",
  url: "http://127.0.0.1:1/?a=1&b=2",
  endpoint: "http://127.0.0.1:1/?a=1&b=2",
  timeoutMs: 1000,
  startedAt: "2026-01-01T00:00:00.000Z",
  durationMs: 1234,
  counts: { pass: 1, warn: 1, fail: 1, skip: 1, total: 4 },
  exitCode: 1,
  results: [
    { id: "a.pass", level: "MUST", clause: "c", title: "t", status: "pass", durationMs: 1, figure: { name: "time to first token", value: 7, unit: "ms" } },
    { id: "a.warn", level: "SHOULD", clause: "c", title: "t", status: "warn", durationMs: 2, detail: HOSTILE, expected: "x", actual: HOSTILE },
    { id: "a.fail", level: "MUST", clause: "c", title: "t", status: "fail", durationMs: 3, detail: HOSTILE, expected: "<x>", actual: HOSTILE },
    { id: "a.skip", level: "SHOULD", clause: "c", title: "t", status: "skip", durationMs: 0, detail: "no --token" },
  ],
};

it("stays well-formed XML whatever the server sent, with one testcase per check", () => {
  const xml = junitReport(report);
  expect(XMLValidator.validate(xml)).toBe(true);
  const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml).testsuites.testsuite;
  expect(suite).toMatchObject({ tests: "4", failures: "1", skipped: "1", time: "1.234" });
  const [passed, warned, failed, skipped] = suite.testcase;
  expect(passed.properties.property).toContainEqual({ name: "time to first token", value: "7 ms" });
  expect(passed.failure).toBeUndefined();
  expect(warned.failure).toBeUndefined();
  expect(warned["system-out"]).toMatch(/^WARNING \(SHOULD\): got <b>"&'<\/b>\uFFFD\uFFFD\uFFFD\]\]> end/);
  expect(failed.failure.message).toBe('got <b>"&\'</b>\uFFFD\uFFFD\uFFFD]]> end');
  expect(skipped.skipped).toMatchObject({ message: "no --token" });
});
