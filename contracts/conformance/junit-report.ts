import type { VerifyReport } from "./verify-report.ts";

/** XML 1.0 forbids most control characters even when escaped; a server's body may hold any. */
const NOT_XML_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const escape = (text: string) =>
  text.replace(NOT_XML_CHARACTER, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const property = (indent: string, name: string, value: string) => `${indent}<property name="${escape(name)}" value="${escape(value)}"/>`;
const CASE_PROPERTY = " ".repeat(8);
const SUITE_PROPERTY = " ".repeat(6);

/**
 * JUnit XML, one testcase per check, named by its id. A failed MUST is a <failure>; a failed
 * SHOULD passes (it does not break IMS) but carries the warning in a property and in
 * <system-out>, where CI systems show it; a skipped check is <skipped>.
 */
export function junitReport(report: VerifyReport): string {
  const suite = `ims-llm-verify ${report.spec}`;
  const cases = report.results.map((result) => {
    const what = [result.detail, result.expected !== undefined && `expected: ${result.expected}`, result.actual !== undefined && `got: ${result.actual}`].filter(Boolean).join("\n");
    const properties = [
      property(CASE_PROPERTY, "level", result.level),
      property(CASE_PROPERTY, "status", result.status),
      property(CASE_PROPERTY, "clause", result.clause),
      property(CASE_PROPERTY, "title", result.title),
      ...(result.figure ? [property(CASE_PROPERTY, result.figure.name, `${result.figure.value} ${result.figure.unit}`)] : []),
    ];
    const body = [`      <properties>\n${properties.join("\n")}\n      </properties>`];
    if (result.status === "fail") body.push(`      <failure message="${escape(result.detail ?? "failed")}" type="MUST">${escape(what)}</failure>`);
    if (result.status === "skip") body.push(`      <skipped message="${escape(result.detail ?? "skipped")}"/>`);
    if (result.status === "warn") body.push(`      <system-out>${escape(`WARNING (SHOULD): ${what}`)}</system-out>`);
    return `    <testcase classname="${escape(suite)}" name="${escape(result.id)}" time="${seconds(result.durationMs)}">\n${body.join("\n")}\n    </testcase>`;
  });
  const { counts } = report;
  const totals = `tests="${counts.total}" failures="${counts.fail}" errors="0" skipped="${counts.skip}" time="${seconds(report.durationMs)}"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="ims-llm-verify" ${totals}>`,
    `  <testsuite name="${escape(suite)}" ${totals} timestamp="${escape(report.startedAt)}">`,
    `    <properties>\n${property(SUITE_PROPERTY, "endpoint", report.endpoint)}\n${property(SUITE_PROPERTY, "warnings", String(counts.warn))}\n    </properties>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    ``,
  ].join("\n");
}
