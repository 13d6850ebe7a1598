/**
 * No argument list reaches an internal error: generated command lines, drawn from every command's
 * real options (commander's own declarations, via test/helpers/surface.ts) and from plausible and
 * implausible values, run through the built CLI against a real local receiver. Each must end
 * within a few seconds with 0, 1 or 2 (a stopped `listen`: 0 or 130) and never print "This is a
 * bug in norce-event" or a stack trace.
 *
 * Bounded: about 15 s, several processes at once. With CI=true the seed is fixed; locally it is
 * random and printed, so a failure can be replayed with NORCE_EVENT_PROPERTY_SEED=<seed>.
 * Nothing waits on Norce's real schedule (every delivering command gets `--time-scale 1000000`
 * last, which wins) and `listen` always binds a free port (`--port 0` last) and is stopped with
 * Ctrl-C after a moment.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, cliEnv, runCli } from "../helpers/cli.js";
import { accept, startReceiver, type TestReceiver } from "../helpers/receiver.js";
import { cliSurface, type SurfaceOption } from "../helpers/surface.js";

const SEED = process.env.NORCE_EVENT_PROPERTY_SEED
  ? Number(process.env.NORCE_EVENT_PROPERTY_SEED)
  : process.env.CI === "true"
    ? 20261128
    : Math.floor(Math.random() * 2 ** 31);
/** Longer hunts: NORCE_EVENT_PROPERTY_MS=120000 npx vitest run test/e2e/cli-property.test.ts */
const TIME_LIMIT_MS = Number(process.env.NORCE_EVENT_PROPERTY_MS ?? 15_000);
const PARALLEL = 4;
/** A run that takes longer than this is a hang (generous: the machine may be loaded). */
const RUN_LIMIT_MS = 12_000;
/** Commands that run until stopped, and the banner after which they are stopped with Ctrl-C. */
const LONG_RUNNING: Record<string, RegExp> = {
  listen: /listening on/,
  inspect: /inspector on/,
};

/** How long a generated `listen` runs after its banner before Ctrl-C. */
const LISTEN_MS = 300;

let receiver: TestReceiver;
let closedUrl: string;
let project: string;
let storedId: string;

beforeAll(async () => {
  receiver = await startReceiver(accept());
  const closed = await startReceiver();
  closedUrl = `${closed.url}/receiver`;
  await closed.close();
  // A project with a store to read, replay and resume from.
  project = mkdtempSync(join(tmpdir(), "norce-event-property-"));
  mkdirSync(join(project, "a-folder"));
  const sent = await runCli(
    ["send", "OrderConfirmedEvent", "--to", `${receiver.url}/receiver`, "--json"],
    { cwd: project },
  );
  storedId = JSON.parse(sent.stdout.trim().split("\n").at(-1)!).messageId;
  await runCli(["send", "JobCompletedEvent", "--to", closedUrl, "--no-retry"], { cwd: project });
});
afterAll(async () => {
  await receiver?.close();
});

/** Values for an option that takes one: plausible, implausible, and hostile. */
function valuesFor(option: SurfaceOption): fc.Arbitrary<string> {
  const common = [
    "",
    "-1",
    "0",
    "1",
    "3",
    "1.5",
    "99999999999",
    "1e309",
    "NaN",
    "abc",
    "5",
    "5s",
    "200ms",
    "-5s",
    "0ms",
    "1h",
    "-",
    "a-folder",
    "missing/file.json",
    "OrderConfirmedEvent",
    "Order*",
    "orderconfirmedevnt",
    "X-Shop: nordic",
    "Authorization: Bearer tok_0123456789abcdef",
    "no colon",
    "ClientId=5",
    "=",
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "http://127.0.0.1:1/",
    "not a url",
    "ftp://example.com/x",
  ];
  const urls = [
    () => `${receiver.url}/receiver`,
    () => closedUrl,
    () => `${receiver.url}/a path?q=1#f`,
    () => "http://[::1",
    () => "http://127.0.0.1:99999/",
  ];
  const long = option.long;
  // Counts stay small: `--count 99999999999` is a legitimate, long run, not a hang.
  if (long === "--count") return fc.constantFrom("0", "-1", "abc", "", "2", "1.5", "3");
  if (long === "--port") return fc.constantFrom("0", "-1", "65536", "abc", "");
  if (long === "--host")
    return fc.constantFrom("127.0.0.1", "localhost", "", "no such host", "::1");
  const pool = fc.constantFrom(...common);
  // Files are written (a store, a report, a config) only inside the run's scratch folder: an
  // absolute path made up here must never create anything elsewhere on the machine.
  if (["--store", "--junit", "--config", "--data"].includes(long)) {
    return fc
      .oneof({ arbitrary: pool, weight: 4 }, { arbitrary: fc.string({ maxLength: 12 }), weight: 1 })
      .map((v) => (v.startsWith("/") ? `.${v}` : v));
  }
  const choice = option.choices ? fc.constantFrom(...option.choices, "nope", "") : fc.constant("");
  return fc.oneof(
    { arbitrary: pool, weight: 4 },
    { arbitrary: fc.constantFrom(...urls).map((u) => u()), weight: /url|to$/.test(long) ? 4 : 1 },
    { arbitrary: choice, weight: option.choices ? 4 : 0 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
  );
}

const POSITIONALS = [
  "OrderConfirmedEvent",
  "SkuChangedNotification",
  "nope",
  "",
  "-",
  "a-folder",
  "missing/file.json",
  "7e57",
  "ffffffff-ffff-4fff-8fff-ffffffffffff",
];

interface Generated {
  args: string[];
  command: string;
}

function commandLines(): fc.Arbitrary<Generated> {
  const surface = cliSurface();
  const globals = surface.find((c) => c.name === "(global)")!;
  const commands = surface.filter((c) => c.name !== "(global)");
  const optionArgs = (options: readonly SurfaceOption[], max: number) =>
    fc
      .subarray([...options], { maxLength: Math.min(max, options.length) })
      .chain((chosen) =>
        fc.tuple(
          ...chosen.map((o) =>
            o.takesValue
              ? fc
                  .tuple(fc.boolean(), valuesFor(o))
                  .map(([short, v]) => [short && o.short ? o.short : o.long, v])
              : fc.constant([o.long]),
          ),
        ),
      )
      .map((parts) => parts.flat());
  return fc.constantFrom(...commands).chain((command) =>
    fc
      .tuple(
        optionArgs(
          globals.options.filter((o) => o.long !== "--version"),
          1,
        ),
        fc.tuple(
          ...command.args.map((a) =>
            a.required
              ? fc.constantFrom(...POSITIONALS, storedId)
              : fc.option(fc.constantFrom(...POSITIONALS), { nil: undefined }),
          ),
        ),
        optionArgs(command.options, 4),
      )
      .map(([global, positionals, options]) => {
        const args = [
          ...global,
          command.name,
          ...positionals.filter((p): p is string => p !== undefined),
          ...options,
        ];
        // Safety last (commander keeps the last value): no real schedule, no fixed port.
        if (command.options.some((o) => o.long === "--time-scale") && !LONG_RUNNING[command.name]) {
          args.push("--time-scale", "1000000");
        }
        if (LONG_RUNNING[command.name]) args.push("--port", "0");
        if (args.includes("--inspect")) args.push("--inspect", "0");
        return { args, command: command.name };
      }),
  );
}

/**
 * Crashes found in other areas, not fixed on this branch: reported as warnings, not failures.
 * Remove an entry once its fix is merged (a crash that matches none fails the test).
 */
const KNOWN: { output: RegExp; where: string }[] = [];

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  ms: number;
  stopped: boolean;
}

function runGenerated(g: Generated): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const cwd =
      g.command === "init" ? mkdtempSync(join(tmpdir(), "norce-event-property-")) : project;
    const child = spawn(process.execPath, [BIN, ...g.args], {
      cwd,
      env: cliEnv(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    let stopped = false;
    let stop: NodeJS.Timeout | undefined;
    // A listener is stopped with Ctrl-C a moment after its banner (a loaded machine starts slowly).
    const seen = (d: string) => {
      output += d;
      const banner = LONG_RUNNING[g.command];
      if (banner && !stop && banner.test(output)) {
        stop = setTimeout(() => {
          stopped = true;
          child.kill("SIGINT");
        }, LISTEN_MS);
      }
    };
    child.stdout.setEncoding("utf8").on("data", seen);
    child.stderr.setEncoding("utf8").on("data", seen);
    child.stdin.on("error", () => undefined);
    child.stdin.end();
    const kill = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(stop);
      clearTimeout(kill);
      resolve({ code, signal, output, ms: performance.now() - started, stopped });
    });
  });
}

/** What is wrong with a run, or undefined. */
function problem(o: Outcome): string | undefined {
  if (o.signal === "SIGKILL") return `did not end within ${RUN_LIMIT_MS} ms`;
  const ok = o.stopped ? [0, 130] : [0, 1, 2];
  if (o.code === null || !ok.includes(o.code)) return `exit ${o.code} (signal ${o.signal})`;
  if (o.output.includes("This is a bug in norce-event")) return "an internal error";
  if (/^\s+at .+[:(].*\d+:\d+\)?$/m.test(o.output)) return "a stack trace";
  return undefined;
}

describe("any argument list (built CLI)", () => {
  it("ends with 0, 1 or 2 (130 when stopped), in time, never with an internal error", {
    timeout: TIME_LIMIT_MS + 30_000,
  }, async () => {
    console.log(`cli-property seed ${SEED} (replay: NORCE_EVENT_PROPERTY_SEED=${SEED})`);
    // Generated up front from the seed, then run by a pool of workers until the time is up
    // (no shrinking: every failing command line is reported as it was run).
    const lines = fc.sample(commandLines(), {
      seed: SEED,
      numRuns: Math.max(600, Math.ceil(TIME_LIMIT_MS / 10)),
    });
    const failures: string[] = [];
    const deadline = performance.now() + TIME_LIMIT_MS;
    let next = 0;
    let runs = 0;
    const worker = async () => {
      while (next < lines.length && performance.now() < deadline) {
        const g = lines[next++]!;
        const outcome = await runGenerated(g);
        runs++;
        const what = problem(outcome);
        const known = what && KNOWN.find((k) => k.output.test(outcome.output));
        if (known) {
          console.warn(`known crash (${known.where}): norce-event ${g.args.join(" ")}`);
        } else if (what) {
          failures.push(
            `norce-event ${g.args.map((a) => JSON.stringify(a)).join(" ")}\n    ${what}\n    ${outcome.output.slice(0, 1500).replace(/\n/g, "\n    ")}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    console.log(`cli-property: ${runs} command lines, ${failures.length} failed`);
    expect(failures, `seed ${SEED}:\n${failures.join("\n")}`).toEqual([]);
    expect(runs).toBeGreaterThan(PARALLEL);
  });
});
