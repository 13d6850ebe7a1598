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
