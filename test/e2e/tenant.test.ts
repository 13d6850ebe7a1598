import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CLIENT } from "../../src/events/client.js";
import { runCli } from "../helpers/cli.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";

let receiver: TestReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function project(config?: object): string {
  const dir = mkdtempSync(join(tmpdir(), "norce-event-tenant-"));
  if (config) writeFileSync(join(dir, "norce-event.config.json"), JSON.stringify(config));
  return dir;
}

describe("one tenant (built CLI)", () => {
  it("generate: three seeds give the same ClientId (the fixed default), noted once on stderr", async () => {
    const cwd = project();
    const ids = new Set<number>();
    for (const seed of ["1", "2", "3"]) {
      const { code, stdout, stderr } = await runCli(
        ["generate", "OrderConfirmedEvent", "--seed", seed, "--compact"],
        { cwd },
      );
      expect(code).toBe(0);
      const payload = JSON.parse(stdout) as { ClientId: number; ApplicationId: number };
      ids.add(payload.ClientId);
      expect(DEFAULT_CLIENT.applicationIds).toContain(payload.ApplicationId);
      expect(stderr.match(/default tenant/g)).toHaveLength(1);
    }
    expect([...ids]).toEqual([DEFAULT_CLIENT.clientId]);
  });

  it("the config's client is used by generate, and --client-id/--application-id override it", async () => {
    const cwd = project({ client: { clientId: 4242, applicationIds: [7, 8] } });
    const fromConfig = await runCli(["generate", "SkuChangedNotification", "-n", "20"], { cwd });
    expect(fromConfig.code).toBe(0);
    expect(fromConfig.stderr).not.toMatch(/default tenant/);
    const rows = fromConfig.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(new Set(rows.map((r) => r.ClientId))).toEqual(new Set([4242]));
    for (const r of rows) if ("ApplicationId" in r) expect([7, 8]).toContain(r.ApplicationId);
    const flagged = await runCli(
      [
        "generate",
        "OrderReceivedEvent",
        "--client-id",
        "1001",
        "--application-id",
        "55",
        "-n",
        "5",
      ],
      { cwd },
    );
    for (const line of flagged.stdout.trim().split("\n")) {
      expect(JSON.parse(line)).toMatchObject({ ClientId: 1001, ApplicationId: 55 });
    }
    const types = await runCli(["types"], { cwd });
    expect(types.stdout).toContain("Events carry ClientId 4242, ApplicationIds 7, 8");
  });

  it("--client-id 1001 reaches the receiver from send and test; demo takes it too", async () => {
    receiver = await startReceiver(accept());
    const cwd = project();
    const sent = await runCli(
      [
        "send",
        "OrderConfirmedEvent",
        "--to",
        receiver.url,
        "--client-id",
        "1001",
        "--application-id",
        "77",
        "--no-store",
      ],
      { cwd },
    );
    expect(sent.code).toBe(0);
    expect(JSON.parse(receiver.requests[0]!.body).ApplicationId).toBe(77);
    const tested = await runCli(
      [
        "test",
        "--to",
        receiver.url,
        "--types",
        "Order*",
        "--client-id",
        "1001",
        "--application-id",
        "77,78",
      ],
      { cwd },
    );
    expect(tested.code).toBe(0);
    const parsed = receiver.requests.flatMap((r) => {
      try {
        return [JSON.parse(r.body) as { ClientId?: number }];
      } catch {
        return []; // the malformed-body case
      }
    });
    expect(parsed.length).toBeGreaterThan(8);
    expect(new Set(parsed.map((b) => b.ClientId))).toEqual(new Set([1001]));
    const applications = new Set(
      (parsed as { ApplicationId?: number }[]).slice(1).map((b) => b.ApplicationId),
    );
    applications.delete(undefined);
    expect([...applications].every((id) => id === 77 || id === 78)).toBe(true);
    const demo = await runCli(
      ["demo", "--time-scale", "1000", "--client-id", "1001", "--application-id", "55"],
      { cwd },
    );
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('"ClientId": 1001');
    expect(demo.stdout).toContain('"ApplicationId": 55');
  });

  it("types with a broken config: one line and exit 2 before anything is printed, with or without --json", async () => {
    const broken = mkdtempSync(join(tmpdir(), "norce-event-tenant-"));
    writeFileSync(join(broken, "norce-event.config.json"), '{"url": 5');
    const wrongType = project({ client: { clientId: "x", applicationIds: [1] } });
    for (const cwd of [broken, wrongType]) {
      for (const args of [["types"], ["types", "--json"]]) {
        const { code, stdout, stderr } = await runCli(args, { cwd });
        expect(code, `${args.join(" ")} in ${cwd}`).toBe(2);
        expect(stdout).toBe("");
        expect(stderr).toMatch(/^error: norce-event\.config\.json: .+\n$/);
      }
    }
    const { stderr } = await runCli(["types"], { cwd: wrongType });
    expect(stderr).toContain("$.client.clientId must be an integer");
  });

  it("init writes the client; a bad --client-id is a usage error", async () => {
    const cwd = project();
    const init = await runCli(
      ["init", "--url", "http://127.0.0.1:9/r", "--client-id", "1001", "--application-id", "3,4"],
      { cwd },
    );
    expect(init.code).toBe(0);
    const written = JSON.parse(readFileSync(join(cwd, "norce-event.config.json"), "utf8"));
    expect(written.client).toEqual({ clientId: 1001, applicationIds: [3, 4] });
    const bad = await runCli(["generate", "OrderConfirmedEvent", "--client-id", "0"], { cwd });
    expect(bad.code).toBe(2);
    const badApp = await runCli(["generate", "OrderConfirmedEvent", "--application-id", "x"], {
      cwd,
    });
    expect(badApp.code).toBe(2);
  });
});
