import { junitReport } from "./junit-report.ts";
import { endpointOf, reachTarget } from "./reach-target.ts";
import { checksFor, runChecks } from "./run-checks.ts";
import { textReport } from "./text-report.ts";
import { parseVerifyOptions, verifyUsage } from "./verify-options.ts";
import { verifyReport } from "./verify-report.ts";

/** What the command touches outside itself, passed in so it runs the same from a test. */
export interface VerifyIo {
  /** Writes one line (or block) to stdout. */
  out: (text: string) => void;
  /** Writes one line (or block) to stderr. */
  err: (text: string) => void;
  writeFile: (path: string, text: string) => void;
  fetch: typeof fetch;
}

/** Exit status: 0 every MUST passed; 1 a MUST failed; 2 usage error or target unreachable. */
export type ExitCode = 0 | 1 | 2;

/** `ims-llm-verify`: the contract checks against any endpoint, reported for people, JSON or JUnit. */
export async function verify(argv: readonly string[], io: VerifyIo): Promise<ExitCode> {
  const parsed = parseVerifyOptions(argv);
  if ("help" in parsed) {
    io.out(verifyUsage);
    return 0;
  }
  if ("error" in parsed) {
    io.err(`ims-llm-verify: ${parsed.error}\nRun ims-llm-verify --help for usage.`);
    return 2;
  }
  const { options } = parsed;
  const target = { ...options.target, fetch: io.fetch };
  // With --json, stdout carries only the JSON; the readable report becomes the progress on stderr.
  const progress = options.json ? io.err : io.out;

  const unreachable = await reachTarget(target);
  if (unreachable) {
    const message = `cannot reach ${endpointOf(target)}: ${unreachable}`;
    io.err(`ims-llm-verify: ${message}`);
    if (options.json) io.out(JSON.stringify({ exitCode: 2, error: message }, null, 2));
    return 2;
  }

  const checks = checksFor(target.spec).filter((check) => !options.only || options.only.includes(check.id));
  const idWidth = Math.max(...checks.map((check) => check.id.length));
  const startedAt = new Date();
  progress(textReport.header({ spec: target.spec, endpoint: endpointOf(target) }, checks.length));
  const results = await runChecks(target, { ...(options.only && { only: options.only }), onResult: (result) => progress(textReport.result(result, idWidth)) });
  const report = verifyReport(options.target, startedAt, results);
  progress(textReport.summary(report));

  if (options.json) io.out(JSON.stringify(report, null, 2));
  if (options.junit) {
    try {
      io.writeFile(options.junit, junitReport(report));
    } catch (error) {
      io.err(`ims-llm-verify: cannot write --junit ${options.junit}: ${(error as Error).message}`);
      return 2;
    }
  }
  return report.exitCode;
}
