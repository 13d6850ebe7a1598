import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { validatePayload } from "../../src/events/validator.js";
import { runCli } from "../helpers/cli.js";
import { type ListenProcess, startListen } from "../helpers/listen.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let listen: ListenProcess | undefined;
let receiver: TestReceiver | undefined;
afterEach(async () => {
  await listen?.stop();
  listen = undefined;
  await receiver?.close();
  receiver = undefined;
});

const FAST = ["--time-scale", "1000", "--max-gap", "20ms", "--no-store"];

interface Line {
  type: string;
  messageId: string;
  attempt: number;
  status: number;
  problems: unknown[];
  body: string;
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), "norce-event-scenario-"));
}

describe("norce-event scenario (built CLI)", () => {
  it("run order-lifecycle against listen: six events, one ClientOrderRef, OrderId/OrderNo shared, in order, each valid", async () => {
    listen = await startListen(["--json", "--time-scale", "1000"]);
    const run = await runCli(["scenario", "run", "order-lifecycle", "--to", listen.url, ...FAST]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("✓ 6 of 6 events delivered · 6 requests");
    await listen.waitFor(/(.*\n){6}/);
    const lines = listen
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Line);
    expect(lines.map((l) => l.type)).toEqual([
      "OrderReceivedEvent",
      "OrderPaymentReceivedEvent",
      "OrderConfirmedEvent",
      "OrderPartlyDeliveredEvent",
      "OrderDeliveredEvent",
      "InvoiceCaptureCompletedEvent",
    ]);
    const bodies = lines.map((l) => l.body as unknown as Record<string, unknown>);
    for (const [i, body] of bodies.entries()) {
      expect(lines[i]!.problems).toEqual([]);
      expect(validatePayload(lines[i]!.type, body).problems).toEqual([]);
    }
    const order = bodies.slice(0, 5);
    expect(new Set(order.map((b) => b.ClientOrderRef)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.ClientId)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.ApplicationId)).size).toBe(1);
    const withId = order.filter((b) => "OrderId" in b);
    expect(withId).toHaveLength(3);
    expect(new Set(withId.map((b) => b.OrderId)).size).toBe(1);
    expect(new Set(withId.map((b) => b.OrderNo)).size).toBe(1);
    // Modeled: the payment's ErpOrderNo is the order's OrderNo.
    expect(bodies[1]!.ErpOrderNo).toBe(withId[0]!.OrderNo);
    expect(new Set(withId.map((b) => `${b.FirstName} ${b.LastName} ${b.CellPhone}`)).size).toBe(1);
  });

  it("the store groups a run (log --scenario) and listen shows an order's events as one sequence", async () => {
    const cwd = dir();
    listen = await startListen(["--time-scale", "1000", "--no-body"], { cwd });
    const run = await runCli(
      [
        "scenario",
        "run",
        "order-cancelled",
        "--to",
        listen.url,
        "--seed",
        "7",
        "--chaos",
        "duplicates",
        "--time-scale",
        "1000",
        "--max-gap",
        "20ms",
      ],
      { cwd },
    );
    expect(run.code, run.stderr).toBe(0);
    const runId = /run ([0-9a-f]{8}) \(norce-event log --scenario/.exec(run.stdout)?.[1];
    expect(runId).toBeDefined();
    await listen.waitFor("OrderCancelledEvent");
    expect(listen.stdout()).toMatch(/OrderReceivedEvent .*· order 5928189 #1/);
    expect(listen.stdout()).toMatch(/OrderPaymentReceivedEvent .*· order 5928189 #2/);
    expect(listen.stdout()).toMatch(/OrderCancelledEvent .*· order 5928189 #3/);
    await listen.stop();
    listen = undefined;

    const runs = await runCli(["log", "--scenario"], { cwd });
    expect(runs.code).toBe(0);
    expect(runs.stdout).toMatch(new RegExp(`${runId}\\s+order-cancelled\\s+7\\s+3`));
    const one = await runCli(["log", "--scenario", runId!.slice(0, 5)], { cwd });
    expect(one.code, one.stderr).toBe(0);
    const rows = one.stdout.trim().split("\n").slice(2);
    expect(rows.map((r) => /(Order\w+Event)/.exec(r)?.[1])).toEqual([
      "OrderReceivedEvent",
      "OrderPaymentReceivedEvent",
      "OrderCancelledEvent",
    ]);
    for (const row of rows)
      expect(row).toMatch(/delivered\s+1\s+202\s+[12]× .*ClientOrderRef 5928189/);
    const missing = await runCli(["log", "--scenario", "ffffffff"], { cwd });
    expect(missing.code).toBe(2);
  });

  it("--chaos reorder,duplicates --seed 7 twice: the same disorder at the receiver, named in the report", async () => {
    const seen: string[][] = [];
    const reports: string[] = [];
    for (let i = 0; i < 2; i++) {
      receiver = await startReceiver(accept());
      const run = await runCli([
        "scenario",
        "run",
        "order-lifecycle",
        "--to",
        receiver.url,
        "--chaos",
        "reorder,duplicates",
        "--seed",
        "7",
        ...FAST,
      ]);
      expect(run.code, run.stderr).toBe(0);
      const ids = new Map<string, number>();
      seen.push(
        receiver.requests.map((r) => {
          const id = String(r.headers["norce-event-message-id"]);
          ids.set(id, (ids.get(id) ?? 0) + 1);
          return `${r.headers["norce-event-type"]}#${ids.get(id)}`;
        }),
      );
      reports.push(run.stdout.slice(run.stdout.indexOf("chaos applied")));
      await receiver.close();
      receiver = undefined;
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(reports[0]).toBe(reports[1]);
    expect(reports[0]).toMatch(/reorder: step \d \w+ delivered after step \d \w+/);
    expect(reports[0]).toMatch(/duplicates: step \d \w+ delivered twice with the same message id/);
    // Really out of order, really twice.
    const types = seen[0]!.map((s) => s.split("#")[0]);
    expect(types).not.toEqual([...types].sort((a, b) => order(a!) - order(b!)));
    expect(seen[0]!.some((s) => s.endsWith("#2"))).toBe(true);
  });

  it("--chaos retry: the second attempt of an event arrives after the next event's first", async () => {
    receiver = await startReceiver(accept());
    const run = await runCli([
      "scenario",
      "run",
      "order-cancelled",
      "--to",
      receiver.url,
      "--chaos",
      "retry",
      "--seed",
      "3",
      "--json",
      ...FAST,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const ids = receiver.requests.map((r) => String(r.headers["norce-event-message-id"]));
    expect(ids).toHaveLength(4);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i)!;
    const first = ids.indexOf(twice);
    expect(ids.lastIndexOf(twice) - first).toBe(2);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(summary).toMatchObject({ kind: "summary", delivered: 3, events: 3, requests: 4 });
    expect(summary.chaos[0].kind).toBe("retry");
  });

  it("--repeat 3 --json: three orders on distinct ids; burst sends all at once", async () => {
    receiver = await startReceiver(accept());
    const run = await runCli([
      "scenario",
      "run",
      "order-cancelled",
      "--to",
      receiver.url,
      "--repeat",
      "3",
      "--seed",
      "11",
      "--chaos",
      "burst",
      "--json",
      ...FAST,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      kind: "plan",
      scenario: "order-cancelled",
      seed: 11,
      repeat: 3,
    });
    expect(lines.filter((l) => l.kind === "attempt")).toHaveLength(9);
    expect(receiver.requests).toHaveLength(9);
    const refs = new Set(receiver.requests.map((r) => JSON.parse(r.body).ClientOrderRef));
    expect(refs.size).toBe(3);
    expect(lines.at(-1).chaos.map((c: { kind: string }) => c.kind)).toEqual(["burst"]);
  });

  it("list and show: the built-ins, the steps, shared ids and what is modeled with its evidence", async () => {
    const list = await runCli(["scenario", "list"]);
    expect(list.code).toBe(0);
    for (const name of [
      "order-lifecycle",
      "click-and-collect",
      "order-cancelled",
      "subscription-failed",
      "product-update",
      "supplier-feed",
      "translation",
      "nightly-import",
    ]) {
      expect(list.stdout).toContain(name);
    }
    const show = await runCli(["scenario", "show", "order-lifecycle", "--seed", "7"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("Modeled");
    expect(show.stdout).toContain("ErpOrderNo is the OrderNo");
    expect(show.stdout).toContain("evidence:");
    expect(show.stdout).toContain("ClientOrderRef 5928189");
    const unknown = await runCli(["scenario", "show", "order-lifecycel"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("did you mean order-lifecycle?");
  });

  it("a scenario file with references runs; broken ones exit 2 naming the step and what is wrong", async () => {
    const cwd = dir();
    const init = await runCli(["scenario", "init", "mine.json"], { cwd });
    expect(init.code, init.stderr).toBe(0);
    receiver = await startReceiver(accept());
    const run = await runCli(["scenario", "run", "mine.json", "--to", receiver.url, ...FAST], {
      cwd,
    });
    expect(run.code, run.stderr).toBe(0);
    const bodies = receiver.requests.map((r) => JSON.parse(r.body));
    expect(bodies).toHaveLength(4);
    expect(new Set(bodies.map((b) => b.ClientOrderRef)).size).toBe(1);
    expect(bodies[3].OrderNo).toBe(bodies[2].OrderNo);

    const file = JSON.parse(readFileSync(join(cwd, "mine.json"), "utf8"));
    const broken = (mutate: (f: typeof file) => void) => {
      const copy = structuredClone(file);
      mutate(copy);
      writeFileSync(join(cwd, "broken.json"), JSON.stringify(copy));
      return runCli(["scenario", "run", "broken.json", "--to", receiver!.url, "--no-store"], {
        cwd,
      });
    };
    const ref = await broken((f) => {
      f.steps[1].set.ClientOrderRef = { ref: "recieved.ClientOrderRef" };
    });
    expect(ref.code).toBe(2);
    expect(ref.stderr).toMatch(
      /step paid: ClientOrderRef: \{"ref": "recieved.ClientOrderRef"\} refers to a step that does not exist — did you mean received\?/,
    );
    const type = await broken((f) => {
      f.steps[2].type = "OrderConfirmedEvnt";
    });
    expect(type.code).toBe(2);
    expect(type.stderr).toContain(
      'unknown event type "OrderConfirmedEvnt" — did you mean OrderConfirmedEvent?',
    );
    const cycle = await broken((f) => {
      f.steps[0].set.ClientOrderRef = { ref: "paid.ClientOrderRef" };
    });
    expect(cycle.code).toBe(2);
    expect(cycle.stderr).toContain("cycle: received → paid → received");
    expect(receiver.requests).toHaveLength(4); // nothing sent by the broken ones
  });

  it("run: -H, --client-id/--application-id, --no-retry against a failing receiver (dead, exit 1), --max-retries, --timeout", async () => {
    receiver = await startReceiver(accept());
    const base = ["scenario", "run", "order-cancelled", "--to", receiver.url, ...FAST];
    const tenant = await runCli([
      ...base,
      "-H",
      "Authorization: Bearer sekret-token-1",
      "--no-retry",
      "--client-id",
      "1001",
      "--application-id",
      "77",
    ]);
    expect(
      receiver.requests.every((r) => r.headers.authorization === "Bearer sekret-token-1"),
    ).toBe(true);
    expect(tenant.stdout).not.toContain("sekret-token-1");
    for (const r of receiver.requests)
      expect(JSON.parse(r.body)).toMatchObject({ ClientId: 1001, ApplicationId: 77 });
    expect(tenant.code).toBe(0);
    // The `again:` line is the same run: same options, same bodies (the header is not repeated).
    const again = /^again: norce-event (.+)$/m.exec(tenant.stderr)?.[1];
    expect(again).toContain("--client-id 1001 --application-id 77 --no-retry --max-gap 20ms");
    expect(again).not.toContain("sekret");
    const first = receiver.requests.map((r) => r.body);
    receiver.requests.length = 0;
    expect((await runCli([...again!.split(" "), "--no-store"])).code).toBe(0);
    expect(receiver.requests.map((r) => r.body)).toEqual(first);
    await receiver.close();

    receiver = await startReceiver((req, res) => {
      if (String(req.headers["norce-event-type"]) === "OrderCancelledEvent")
        res.writeHead(500).end("boom");
      else res.writeHead(202).end("ok");
    });
    const once = await runCli([
      "scenario",
      "run",
      "order-cancelled",
      "--to",
      receiver.url,
      ...FAST,
      "--no-retry",
    ]);
    expect(once.code).toBe(1);
    expect(once.stdout).toContain("✗ 2 of 3 events delivered, 1 dead");
    const twice = await runCli([
      "scenario",
      "run",
      "order-cancelled",
      "--to",
      receiver.url,
      ...FAST,
      "--max-retries",
      "2",
      "--timeout",
      "2s",
      "--json",
    ]);
    expect(twice.code).toBe(1);
    const attempts = twice.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.kind === "attempt" && l.type === "OrderCancelledEvent");
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    expect(JSON.parse(twice.stdout.trim().split("\n").at(-1)!).rerun).toContain(
      "--timeout 2000ms --max-retries 2",
    );
  });

  it("run without --to uses each type's url from the config and skips a type that is off", async () => {
    receiver = await startReceiver(accept());
    const cwd = dir();
    writeFileSync(
      join(cwd, "norce-event.config.json"),
      JSON.stringify({
        url: `${receiver.url}/orders`,
        client: { clientId: 4242, applicationIds: [9] },
        events: {
          OrderPaymentReceivedEvent: { url: `${receiver.url}/payments` },
          OrderCancelledEvent: { enabled: false },
        },
      }),
    );
    const run = await runCli(["scenario", "run", "order-cancelled", ...FAST], { cwd });
    expect(run.code, run.stderr).toBe(0);
    expect(receiver.requests.map((r) => r.path)).toEqual(["/orders", "/payments"]);
    expect(run.stdout).toMatch(/OrderCancelledEvent not sent: off in norce-event.config.json/);
    expect(JSON.parse(receiver.requests[0]!.body).ClientId).toBe(4242);
  });

  it("list --json, show --json (with --client-id), init --force", async () => {
    const list = await runCli(["scenario", "list", "--json"]);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toContain("supplier-feed");
    const show = await runCli([
      "scenario",
      "show",
      "product-update",
      "--json",
      "--seed",
      "3",
      "--client-id",
      "1001",
    ]);
    const shown = JSON.parse(show.stdout);
    expect(shown.events).toHaveLength(6);
    expect(
      new Set(shown.events.map((e: { payload: { PartNo: string } }) => e.payload.PartNo)).size,
    ).toBe(1);
    expect(shown.events[0].payload.ClientId).toBe(1001);
    expect(shown.modeled.length).toBeGreaterThan(0);
    const cwd = dir();
    expect((await runCli(["scenario", "init"], { cwd })).code).toBe(0);
    const again = await runCli(["scenario", "init"], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("scenario.json already exists");
    expect((await runCli(["scenario", "init", "--force"], { cwd })).code).toBe(0);
    const bad = await runCli([
      "scenario",
      "run",
      "order-lifecycle",
      "--to",
      "http://127.0.0.1:9",
      "--chaos",
      "shuffle",
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--chaos shuffle is not a kind of disorder");
  });
});

const ORDER = [
  "OrderReceivedEvent",
  "OrderPaymentReceivedEvent",
  "OrderConfirmedEvent",
  "OrderPartlyDeliveredEvent",
  "OrderDeliveredEvent",
  "InvoiceCaptureCompletedEvent",
];
function order(type: string): number {
  return ORDER.indexOf(type);
}
