import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const dir = mkdtempSync(join(tmpdir(), "norce-event-contract-"));

function parseJunit(file: string) {
  const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
    readFileSync(file, "utf8"),
  );
  const suite = xml.testsuites.testsuite;
  const cases = Array.isArray(suite.testcase) ? suite.testcase : [suite.testcase];
  return { suites: xml.testsuites, suite, cases };
}

describe("norce-event test (built CLI)", () => {
  it("a receiver that answers 202 to everything passes every case; the JUnit file has one testcase per case", async () => {
    receiver = await startReceiver(accept(202));
    const junit = join(dir, "ok.xml");
    const { code, stdout } = await runCli([
      "test",
      "--to",
      `${receiver.url}/receiver`,
      "--junit",
      junit,
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ accepts OrderConfirmedEvent/);
    expect(stdout).toMatch(/25 cases: 24 passed, 0 failed, 1 skipped, 1 warning/);
    const { suites, cases } = parseJunit(junit);
    expect(suites.failures).toBe("0");
    expect(cases).toHaveLength(25);
    expect(Number(suites.tests)).toBe(cases.length);
    expect(cases.filter((c: { failure?: unknown }) => c.failure)).toHaveLength(0);
    const names = cases.map((c: { name: string }) => c.name);
    expect(names.filter((n: string) => n.startsWith("accepts "))).toHaveLength(19);
    // The accepted invalid JSON is a warning in system-out, not a failure.
    const malformed = cases.find((c: { name: string }) => c.name.startsWith("malformed body"));
    expect(malformed["system-out"]).toMatch(/warning: invalid JSON was accepted with 202/);
    expect(
      cases.find((c: { name: string }) => c.name === "rejects unauthenticated events").skipped,
    ).toBeDefined();
  });

  it("a receiver that answers 500 fails every delivery case with the status shown; exit 1", async () => {
    receiver = await startReceiver(accept(500, "database down"));
    const junit = join(dir, "500.xml");
    const { code, stdout } = await runCli(["test", "--to", receiver.url, "--junit", junit]);
    expect(code).toBe(1);
    expect(stdout.match(/✗ accepts \w+ {2}500/g)).toHaveLength(19);
    expect(stdout).toMatch(/a realistic event got 500 "database down"/);
    expect(stdout).toMatch(/✗ idempotent on retries/);
    expect(stdout).toMatch(/✗ tolerant reader: .* unknown extra property/);
    const { suites } = parseJunit(junit);
    expect(Number(suites.failures)).toBe(22);
  });

  it("-H Authorization: a receiver that ignores it fails the unauthenticated case and says why; one that checks passes", async () => {
    receiver = await startReceiver(accept(202));
    const ignoring = await runCli([
      "test",
      "--to",
      receiver.url,
      "-H",
      "Authorization: Bearer t",
      "--types",
      "OrderConfirmedEvent",
    ]);
    expect(ignoring.code).toBe(1);
    expect(ignoring.stdout).toMatch(/✗ rejects unauthenticated events/);
    expect(ignoring.stdout).toMatch(
      /an event without Authorization got 202 .*anyone could post fake orders/,
    );
    await receiver.close();

    receiver = await startReceiver((req, res) => {
      res.writeHead(req.headers.authorization === "Bearer t" ? 202 : 401);
      res.end();
    });
    const checking = await runCli([
      "test",
      "--to",
      receiver.url,
      "-H",
      "Authorization: Bearer t",
      "--types",
      "OrderConfirmedEvent",
    ]);
    expect(checking.code).toBe(0);
    expect(checking.stdout).toMatch(/✓ rejects unauthenticated events {2}401, 401/);
  });

  it("a receiver that takes 6 s fails the latency case", async () => {
    receiver = await startReceiver((_req, res) => {
      setTimeout(() => {
        res.writeHead(202);
        res.end();
      }, 6000);
    });
    const { code, stdout } = await runCli(
      [
        "test",
        "--to",
        receiver.url,
        "--types",
        "JobCompletedEvent",
        "--json",
        "--concurrency",
        "8",
      ],
      { timeoutMs: 30_000 },
    );
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const fast = report.cases.find((c: { id: string }) => c.id === "fast-enough");
    expect(fast.status).toBe("failed");
    expect(fast.reason).toMatch(/took longer than 5s.*Norce counts those as failed/);
  }, 40_000);

  it("usage errors exit 2: no --to, a bad URL, an unknown type", async () => {
    expect((await runCli(["test"])).code).toBe(2);
    expect((await runCli(["test", "--to", "not a url"])).code).toBe(2);
    const unknown = await runCli([
      "test",
      "--to",
      "http://localhost:1/",
      "--types",
      "OrderConfirmd",
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("did you mean OrderConfirmedEvent?");
    const glob = await runCli(["test", "--to", "http://localhost:1/", "--types", "Nope*"]);
    expect(glob.code).toBe(2);
    expect(glob.stderr).toContain('no event type matches "Nope*"');
  });
});
