import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("shows the vitest example that runs in the suite, word for word", () => {
    const example = readFileSync(new URL("../examples/receiver.test.ts", import.meta.url), "utf8");
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it("has a quickstart of exactly two commands, and the test command CI runs", () => {
    const quickstart = /## Quickstart\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(quickstart.trim().split("\n")).toEqual(["npm ci && npx norce-event demo", "npm test"]);
    const ci = readFileSync(new URL("../../.ci/run", import.meta.url), "utf8");
    expect(ci).toContain("npm ci");
    expect(ci).toContain("npm test");
  });
});

describe("README: Receiving", () => {
  it("shows the Express receiver example that runs in the suite, word for word, in at most 20 lines", () => {
    const example = readFileSync(
      new URL("../examples/receiver-express.js", import.meta.url),
      "utf8",
    );
    expect(readme).toContain(`\`\`\`js\n${example}\`\`\``);
    expect(example.trimEnd().split("\n").length).toBeLessThanOrEqual(20);
  });

  it("documents every answer of the receiver in its table", () => {
    const section = readme.slice(readme.indexOf("## Receiving"));
    for (const code of [
      "method_not_allowed",
      "body_too_large",
      "bad_headers",
      "unauthorized",
      "invalid_json",
      "invalid_payload",
      "duplicate",
      "in_flight",
      "handler_failed",
      "handler_timeout",
      "receiver_failed",
      "body_unreadable",
      "unknown_type",
      "accepted",
    ]) {
      expect(section, code).toContain(`\`${code}\``);
    }
  });
});
