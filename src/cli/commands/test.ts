import { existsSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type CaseResult, type ContractReport, runContract } from "../../contract/runner.js";
import { parseHeaders } from "../../delivery/headers.js";
import { selectEventTypes } from "../../events/select.js";
import { formatDuration } from "../../shared/duration.js";
import { UsageError } from "../../shared/errors.js";
import { maskUrl } from "../../shared/secrets.js";
import { parseTargetUrl } from "../../shared/url.js";
import { resolveTemplate } from "../../store/templates.js";
import { type ClientFlags, configForClient, resolveClient } from "../client.js";
import { checkHeaderValues } from "../deliveries.js";
import { EXIT_FAILED, EXIT_OK } from "../errors.js";
import type { GlobalOptions } from "../globals.js";
import { print, say } from "../output.js";
import { plainStyle, type Style } from "../render/delivery.js";
import { safe } from "../render/safe.js";

export interface TestOptions extends ClientFlags {
  to?: string;
  header?: string[];
  types?: string[];
  seed: number;
  timeout: number;
  junit?: string;
  json?: boolean;
  concurrency: number;
  /** `--scenarios` (true) or `--scenarios a,b`. */
  scenarios?: true | string[];
}

export async function runTest(options: TestOptions, globals: GlobalOptions): Promise<number> {
  if (!options.to) {
    throw new UsageError("test needs --to <url>, the receiver to check", {
      hint: "e.g. norce-event test --to http://localhost:3000/receiver --junit report.xml",
    });
  }
  const url = parseTargetUrl(options.to);
  const types = selectEventTypes(options.types);
  // -H values are the user's own: `${VAR}` resolves as in send (an unset one is a usage error).
  const headers = Object.fromEntries(
    Object.entries(parseHeaders(options.header)).map(([name, value]) => [
      name,
      resolveTemplate(value, { field: `-H ${name}` }),
    ]),
  );
  checkHeaderValues(headers);
  if (options.junit !== undefined) checkReportPath(options.junit);
  const { client } = resolveClient(options, await configForClient(globals));
  const style: Style =
    options.json || !globals.color || !process.stdout.isTTY
      ? plainStyle
      : await import("../style.js");

  if (!options.json) {
    print(
      `${style.bold("norce-event test")} → ${maskUrl(url)} ${style.dim(`(${types.length} event type${types.length === 1 ? "" : "s"}, seed ${options.seed}, timeout ${formatDuration(options.timeout)})`)}`,
    );
    print();
  }
  const report = await runContract({
    to: url,
    headers,
    types,
    seed: options.seed,
    client,
    ...(options.scenarios ? { scenarios: options.scenarios } : {}),
    timeoutMs: options.timeout,
    concurrency: options.concurrency,
    ...(options.json ? {} : { onCase: (result: CaseResult) => print(formatCase(result, style)) }),
  });

  if (options.junit) {
    const { renderJunit } = await import("../../contract/junit.js");
    try {
      await writeFile(options.junit, renderJunit(report));
    } catch (error) {
      throw new UsageError(
        `--junit ${options.junit}: cannot write (${(error as NodeJS.ErrnoException).code})`,
        {
          hint: "check that the folder exists and is writable",
        },
      );
    }
  }
  if (options.json) print(JSON.stringify(report, null, 2));
  else {
    print();
    print(formatSummary(report, style));
  }
  if (options.junit) say(`JUnit report written to ${options.junit}`);
  return report.failed > 0 ? EXIT_FAILED : EXIT_OK;
}

function formatCase(result: CaseResult, style: Style): string {
  const mark =
    result.status === "failed"
      ? style.red("✗")
      : result.status === "skipped"
        ? style.dim("-")
        : result.warning
          ? style.yellow("!")
          : style.green("✓");
  const answers = result.answers.length
    ? style.dim(
        `  ${result.answers.map((a) => (a.error ? "no answer" : String(a.status))).join(", ")} · ${formatDuration(Math.max(...result.answers.map((a) => a.latencyMs)))}`,
      )
    : "";
  const detail = result.detail ? style.dim(`  ${safe(result.detail)}`) : "";
  const lines = [`  ${mark} ${result.name}${answers}${detail}`];
  // Reasons quote what the receiver answered: text from the network.
  if (result.status === "failed" && result.reason)
    lines.push(`      ${style.red(safe(result.reason))}`);
  if (result.status === "skipped" && result.reason)
    lines.push(`      ${style.dim(`skipped: ${safe(result.reason)}`)}`);
  if (result.warning) lines.push(`      ${style.yellow(`warning: ${safe(result.warning)}`)}`);
  return lines.join("\n");
}

function formatSummary(report: ContractReport, style: Style): string {
  const parts = [
    style.green(`${report.passed} passed`),
    report.failed > 0 ? style.red(`${report.failed} failed`) : "0 failed",
    ...(report.skipped > 0 ? [`${report.skipped} skipped`] : []),
    ...(report.warnings > 0
      ? [style.yellow(`${report.warnings} warning${report.warnings === 1 ? "" : "s"}`)]
      : []),
  ];
  // Without a single answer there is no latency to report (refused connections are not answers).
  const answered = report.cases.some((c) => c.answers.some((a) => a.status !== null));
  const latency = answered
    ? `latency p50 ${formatDuration(report.latencyMs.p50)}, p95 ${formatDuration(report.latencyMs.p95)}`
    : "no answers";
  return `${report.cases.length} cases: ${parts.join(", ")} · ${latency} · ${formatDuration(report.durationMs)}`;
}

/** A JUnit path that cannot be written is said before the suite runs, not after. */
function checkReportPath(path: string): void {
  const problem =
    path.trim() === ""
      ? "is empty"
      : existsSync(path) && statSync(path).isDirectory()
        ? "is a folder"
        : !existsSync(dirname(resolve(path)))
          ? `is in a folder that does not exist (${dirname(resolve(path))})`
          : undefined;
  if (problem) {
    throw new UsageError(`--junit ${path} ${problem}`, {
      hint: "give a file path in an existing folder, e.g. --junit report.xml",
    });
  }
}
