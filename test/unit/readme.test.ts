import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { impliedExit, mismatch, normalise, parseReadme, shellWords } from "../helpers/readme.js";

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

describe("the README harness (test/helpers/readme.ts)", () => {
  it("finds examples, their shown lines and the comments before a block", () => {
    const text = [
      "<!-- project: shop -->",
      "",
      '<!-- file a.json: {"x":1} -->',
      "```",
      "$ norce-event send X --to http://localhost:3000/r",
      "→ line",
      "",
      "$ norce-event log",
      "```",
      "<!-- not run: yaml -->",
      "```sh",
      "$ norce-event types",
      "```",
      "```json",
      '{"$ norce-event": 1}',
      "```",
    ].join("\n");
    const blocks = parseReadme(text);
    expect(blocks).toHaveLength(2);
    expect(blocks[0]).toMatchObject({
      line: 4,
      project: "shop",
      files: [{ name: "a.json", content: '{"x":1}' }],
      examples: [
        { line: 5, command: "send X --to http://localhost:3000/r", shown: ["→ line"] },
        { line: 8, command: "log", shown: [] },
      ],
    });
    expect(blocks[1]!.skip).toBe("yaml");
  });

  it("splits command lines as a shell does and stops at a pipe or a comment", () => {
    expect(
      shellWords(`send -H "Authorization: Bearer $TOKEN" --set 'A=$X'`, { TOKEN: "t" }),
    ).toEqual({
      words: ["send", "-H", "Authorization: Bearer t", "--set", "A=$X"],
      pipe: undefined,
    });
    expect(shellWords("listen --json | jq .type", {})).toEqual({
      words: ["listen", "--json"],
      pipe: "jq .type",
    });
    expect(shellWords("listen --fail-first 2   # watch", {}).words).toEqual([
      "listen",
      "--fail-first",
      "2",
    ]);
  });

  it("normalises what changes between runs and keeps schedule labels", () => {
    expect(
      normalise(
        "  #2  +5s      500 Internal Server Error  1.6ms  → retry #3 at +15s (waits 10s, real 10ms)",
      ),
    ).toBe(
      "#2 +5s 500 Internal Server Error <duration> → retry #3 at +15s (waits <duration>, real <duration>)",
    );
    expect(normalise("23:18:04.031  OrderConfirmedEvent  b5d7fc18  /receiver")).toBe(
      "<time> OrderConfirmedEvent <id8> /receiver",
    );
    // A random seed of 8 digits is a seed, not a short id.
    expect(normalise("(seed 77487767)")).toBe(normalise("(seed 422612651)"));
    // A store path, absolute or relative; Standard Webhooks' timestamp and signature.
    expect(normalise("recording to /tmp/x-1/.norce-event/events.db")).toBe(
      normalise("recording to .norce-event/events.db"),
    );
    expect(normalise("webhook-timestamp: 1795863552")).toBe("webhook-timestamp: <epoch seconds>");
    expect(normalise("webhook-signature: v1,J77wR2vbDtdbjG++0ZzNRjvUFbkG1ejZm5wqWTwPcBE=")).toBe(
      "webhook-signature: v1,<signature>",
    );
  });

  it("matches shown lines as contiguous runs between … lines, and names the first that differs", () => {
    const output = "a\nb\nc 1.5ms\nd\ne";
    expect(mismatch(["a", "b", "…", "d"], output)).toBeUndefined();
    expect(mismatch(["c 9ms", "d", "e"], output)).toBeUndefined();
    expect(mismatch(["a", "c 2ms"], output)).toMatch(/line 2 .*\n\s+c <duration>/);
    expect(mismatch(["x"], output)).toMatch(/no such line/);
  });

  it("implies the exit code from the output", () => {
    expect(impliedExit("generate X", ["error: unknown event type"])).toBe(2);
    expect(impliedExit("send X", ["✗ dead after 1 attempt"])).toBe(1);
    expect(impliedExit("test --to u", ["25 cases: 24 passed, 1 failed"])).toBe(1);
    expect(impliedExit("test --to u", ["25 cases: 24 passed, 0 failed"])).toBe(0);
  });
});
