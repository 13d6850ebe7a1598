import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, SCRATCH } from "../helpers/cli.js";
import { type Handler, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** A shop's receiver that keeps orders by ClientOrderRef and takes redeliveries in its stride. */
function idempotentShop(): Handler {
  const orders = new Map<string, string[]>();
  const seen = new Set<string>();
  return (req, res) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(req.body) as Record<string, unknown>;
    } catch {
      res.writeHead(400).end("bad json");
      return;
    }
    const id = String(req.headers["norce-event-message-id"] ?? "");
    if (!seen.has(id)) {
      seen.add(id);
      const ref = body.ClientOrderRef;
      if (typeof ref === "string") {
        orders.set(ref, [...(orders.get(ref) ?? []), String(req.headers["norce-event-type"])]);
      }
    }
    res.writeHead(202).end("accepted");
  };
}

/** The same, but a message id it has seen gets 409 Conflict. */
function conflictOnDuplicate(): Handler {
  const seen = new Set<string>();
  return (req, res) => {
    const id = String(req.headers["norce-event-message-id"] ?? "");
    if (seen.has(id)) {
      res.writeHead(409).end("already processed");
      return;
    }
    seen.add(id);
    res.writeHead(202).end("accepted");
  };
}

describe("norce-event test --scenarios (built CLI)", () => {
  it("passes an idempotent receiver: every built-in in order, reordered and with duplicates; JUnit lists them", async () => {
    receiver = await startReceiver(idempotentShop());
    const junit = join(SCRATCH, `scenarios-${process.pid}.xml`);
    const run = await runCli(
      [
        "test",
        "--to",
        receiver.url,
        "--types",
        "OrderConfirmedEvent",
        "--scenarios",
        "--junit",
        junit,
      ],
      { timeoutMs: 30_000 },
    );
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("✓ scenario order-lifecycle in order");
    expect(run.stdout).toContain(
      "✓ scenario order-lifecycle with a step delivered after a later one",
    );
    expect(run.stdout).toContain(
      "✓ scenario order-lifecycle with events delivered twice (same message id)",
    );
    expect(run.stdout).toContain("✓ scenario nightly-import in order");
    expect(run.stdout).not.toContain("scenario subscription-failed with a step delivered after");
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('classname="norce-event.scenario-order-lifecycle"');
    expect(xml.match(/<testcase [^>]*name="scenario /g)?.length).toBe(8 * 3 - 1);
  });

  it("fails a receiver that answers 409 to a redelivered message id, saying why", async () => {
    receiver = await startReceiver(conflictOnDuplicate());
    const run = await runCli([
      "test",
      "--to",
      receiver.url,
      "--types",
      "OrderConfirmedEvent",
      "--scenarios",
      "order-lifecycle",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("✓ scenario order-lifecycle in order");
    expect(run.stdout).toContain("✗ scenario order-lifecycle with events delivered twice");
    expect(run.stdout).toMatch(
      /the redelivery of step \d \w+ .* got 409 "already processed"; Norce would keep retrying it/,
    );
    expect(run.stdout).not.toContain("scenario product-update");
  });

  it("an unknown scenario name is a usage error", async () => {
    const run = await runCli([
      "test",
      "--to",
      "http://127.0.0.1:9",
      "--scenarios",
      "order-lifecyle",
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("did you mean order-lifecycle?");
  });
});
