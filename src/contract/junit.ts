/**
 * JUnit XML, the report format GitHub Actions, GitLab and Jenkins read: one testsuite, one
 * testcase per case, `<failure>` for a failed case, `<skipped>` for a skipped one, and warnings in
 * the case's `<system-out>` (reported, not failing). Built with fast-xml-parser, which escapes.
 */
import { XMLBuilder } from "fast-xml-parser";
import { formatDuration } from "../shared/duration.js";
import type { CaseResult, ContractReport } from "./runner.js";

export function renderJunit(report: ContractReport): string {
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const testcases = report.cases.map((c) => ({
    "@_classname": `norce-event.${c.group.replace(/\s+/g, "-")}`,
    "@_name": c.name,
    "@_time": seconds(c.durationMs),
    ...(c.status === "failed"
      ? { failure: { "@_message": c.reason ?? "failed", "@_type": c.id, "#text": details(c) } }
      : {}),
    ...(c.status === "skipped" ? { skipped: { "@_message": c.reason ?? "skipped" } } : {}),
    ...(c.warning || c.detail
      ? {
          "system-out": [c.warning && `warning: ${c.warning}`, c.detail, details(c)]
            .filter(Boolean)
            .join("\n"),
        }
      : {}),
  }));
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    format: true,
    suppressEmptyNode: true,
  });
  const counts = {
    "@_tests": String(report.cases.length),
    "@_failures": String(report.failed),
    "@_errors": "0",
    "@_skipped": String(report.skipped),
    "@_time": seconds(report.durationMs),
  };
  return xmlSafe(
    builder.build({
      "?xml": { "@_version": "1.0", "@_encoding": "UTF-8" },
      testsuites: {
        "@_name": "norce-event",
        ...counts,
        testsuite: {
          "@_name": `Norce receiver contract (${report.url})`,
          ...counts,
          "@_timestamp": report.startedAt,
          properties: {
            property: [
              { "@_name": "url", "@_value": report.url },
              { "@_name": "seed", "@_value": String(report.seed) },
              { "@_name": "timeout", "@_value": formatDuration(report.timeoutMs) },
            ],
          },
          testcase: testcases,
        },
      },
    }) as string,
  );
}

// Characters XML 1.0 does not allow even escaped (C0 controls but tab and line breaks, U+FFFE/F):
// a receiver's answer quoted in the report could hold them, and the report would not parse.
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** The report with characters XML cannot carry written as `\uXXXX` text. */
function xmlSafe(xml: string): string {
  return xml.replace(NOT_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function details(c: CaseResult): string {
  const lines = c.answers.map(
    (a, i) =>
      `answer ${i + 1}: ${a.error ?? a.status} in ${formatDuration(a.latencyMs)}${a.body ? ` — ${a.body.slice(0, 200)}` : ""}`,
  );
  return [c.reason, ...lines].filter(Boolean).join("\n");
}
