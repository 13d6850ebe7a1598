/**
 * The README is executed: every `$ norce-event …` line in a README code block runs with the built
 * CLI against real local servers, and what it prints is checked against the lines shown under it.
 *
 * The conventions, for whoever writes a README example:
 *
 * - A code block's `$ norce-event …` lines are its commands; the lines after one (up to the next
 *   `$` line or the block's end) are what it prints, stdout and stderr together as a terminal shows
 *   them. Write real output: run the command and paste it.
 * - Checked: each run of shown lines between `…` lines must appear, in order and contiguous, in the
 *   real output, after normalising what changes from run to run: times and dates, ISO timestamps,
 *   message ids (and their 8-character prefixes), latencies and other measured durations (a
 *   schedule label such as `+5s` is kept), ports, random seeds, rates, and runs of spaces (column
 *   widths). A line `…` stands for any number of lines; `^C` stands for the Ctrl-C the driver sends.
 * - The exit code is implied by the output: a line starting `error:` → 2; a line starting `✗`
 *   (dead, invalid) or a `test` summary with failures → 1; otherwise 0. A long-running command
 *   stopped with Ctrl-C may end 0 or 130.
 * - `localhost:3000` is a real local receiver on a free port (it answers each attempt with the
 *   statuses and bodies the example shows, then `202 accepted`); `localhost:7412` is the port of the
 *   `listen` being driven; any other `localhost:<port>` is a closed port. `$TOKEN` is set (its value
 *   ends in `0042`, as masked values show), and so is `$NORCE_TOKEN`.
 * - A message id (or prefix) printed by an earlier example is replaced, in later commands, by the
 *   id the real run printed at the same place.
 * - `cmd | jq …`: the norce-event part runs; every JSON line shown must match a JSON line it
 *   printed (the same keys, values of the same types).
 * - Long-running commands have a driver (DRIVERS below): `listen` is started on a free port,
 *   poked with the requests the example shows (their type, path, body, and a bad timestamp when a
 *   problem line names one; repeated short ids are retries of one message id), then stopped with
 *   Ctrl-C. Every other command runs once and must end within 30 s.
 * - HTML comments right before a block (blank lines between are fine):
 *   `<!-- not run: <reason> -->` skips the block (the GitHub Actions YAML, say);
 *   `<!-- project: <name> -->` runs the block in the project folder of that name, shared with every
 *   other block that names it (so `log` sees what an earlier block sent); without it, each block
 *   runs in a fresh, empty folder;
 *   `<!-- file <name>: <content> -->` writes that file into the block's folder first.
 * - Blocks whose language is not empty or `sh`/`console`/`shell`, or without a `$ norce-event`
 *   line, are not commands and are not run.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeEvent } from "../../src/index.js";
import { BIN, cliEnv, stripAnsi } from "../helpers/cli.js";
import {
  type Example,
  impliedExit,
  mismatch,
  normalise,
  parseReadme,
  pokes,
  shellWords,
  UUID,
} from "../helpers/readme.js";
import { startReceiver, type TestReceiver } from "../helpers/receiver.js";

const README = new URL("../../README.md", import.meta.url);
const TOKEN = "tok_live_51H8xYzAbCd0042";

// Running -----------------------------------------------------------------------------------------

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  stdout: string;
}

interface Context {
  cwd: string;
  env: Record<string, string>;
  receiver: TestReceiver;
  closedPort: number;
  /** Tell the receiver what to answer next, in order; after them, 202 "accepted". */
  answer(next: { status: number; body: string }[]): void;
}

type Driver = (args: string[], example: Example, ctx: Context) => Promise<Run>;

/** The CLI with stdout and stderr in one pipe (the order a terminal shows); stdout also alone. */
function spawnCli(args: readonly string[], ctx: Context): ChildProcessWithoutNullStreams {
  return spawn("/bin/sh", ["-c", 'exec "$@" 2>&1', "sh", process.execPath, BIN, ...args], {
    cwd: ctx.cwd,
    env: cliEnv(ctx.env),
  });
}

function collect(child: ChildProcessWithoutNullStreams, timeoutMs: number): Promise<Run> {
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  child.stdin.end();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `did not finish within ${timeoutMs} ms (a long-running command needs a driver in DRIVERS in test/e2e/readme.test.ts, or the block a <!-- not run: <reason> --> comment); output so far:\n${output}`,
        ),
      );
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, stdout: output });
    });
  });
}

/** A command that runs once and ends: the receiver answers as the example shows. */
const oneShot: Driver = async (args, example, ctx) => {
  const answers: { status: number; body: string }[] = [];
  for (const line of example.shown) {
    const attempt = /^\s*#\d+\s+\+\S+\s+(\d{3})\b.*?(?:\s{2}"(.*)")?\s*(?:→.*)?$/.exec(line);
    if (attempt) answers.push({ status: Number(attempt[1]), body: attempt[2] ?? "" });
  }
  ctx.answer(answers);
  return collect(spawnCli(args, ctx), 30_000);
};

/** `listen`: on a free port, poked with the requests the example shows, stopped with Ctrl-C. */
const listenDriver: Driver = async (args, example, ctx) => {
  const withPort = args.some((a) => a === "--port" || a === "-p")
    ? args.map((a, i) => (args[i - 1] === "--port" || args[i - 1] === "-p" ? "0" : a))
    : [...args, "--port", "0"];
  const child = spawnCli(withPort, ctx);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  child.stdin.end();
  const until = async (test: () => boolean, what: string) => {
    for (let waited = 0; !test(); waited += 20) {
      if (waited > 10_000 || child.exitCode !== null) {
        throw new Error(`listen: no ${what}; output:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await until(() => /listening on http:\/\/\S+/.test(output), "banner");
  const base = new URL(/listening on (http:\/\/\S+)/.exec(output)![1]!).origin;
  // A short id shown again is a retry: the same event (id, timestamp, body) once more.
  const events = new Map<string, ReturnType<typeof fakeEvent>>();
  for (const poke of pokes(example.shown)) {
    const event = (poke.id && events.get(poke.id)) || fakeEvent(poke.type, { seed: 1 });
    if (poke.id) events.set(poke.id, event);
    const messageId = event.messageId;
    const before = output.length;
    await fetch(`${base}${poke.path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "Norce-Event-Message-Id": messageId,
        "Norce-Event-Type": poke.type,
        "Norce-Event-Timestamp": poke.timestamp ?? event.timestamp,
      },
      body: poke.body ?? JSON.stringify(event.payload),
    }).then((r) => r.arrayBuffer());
    await until(() => output.length > before, "line for the request");
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const exit = new Promise<Run>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, output, stdout: output })),
  );
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  const run = await exit;
  clearTimeout(timer);
  return run;
};

/** Per command, how to run it; anything not listed runs once (`oneShot`). */
const DRIVERS: Record<string, Driver> = { listen: listenDriver };

// The suite ---------------------------------------------------------------------------------------

const blocks = parseReadme(readFileSync(README, "utf8"));
let receiver: TestReceiver;
let closedPort: number;
const projects = new Map<string, string>();
/** README message ids and prefixes → the ids the real runs printed. */
const ids = new Map<string, string>();
const context = { answers: [] as { status: number; body: string }[] };

beforeAll(async () => {
  receiver = await startReceiver((_req, res) => {
    const next = context.answers.shift() ?? { status: 202, body: "accepted" };
    res.writeHead(next.status, { "content-type": "text/plain" });
    res.end(next.body);
  });
  const closed = await startReceiver();
  closedPort = closed.port;
  await closed.close();
});
afterAll(async () => {
  await receiver?.close();
});

describe("README examples run as printed (built CLI)", () => {
  it("has examples to run, and skips only blocks marked `not run`", () => {
    expect(blocks.length).toBeGreaterThan(5);
    const text = readFileSync(README, "utf8");
    const yaml = /```yaml/.exec(text);
    if (yaml) expect(text.slice(0, yaml.index)).toMatch(/<!-- not run: [^>]+ -->\s*$/);
  });

  for (const block of blocks) {
    const title = `README.md:${block.line} ${block.examples.map((e) => `\`${e.command.slice(0, 60)}\``).join(", ")}`;
    it.skipIf(block.skip !== undefined)(title, { timeout: 90_000 }, async () => {
      const cwd = block.project
        ? (projects.get(block.project) ??
          projects
            .set(block.project, mkdtempSync(join(tmpdir(), "norce-event-readme-")))
            .get(block.project)!)
        : mkdtempSync(join(tmpdir(), "norce-event-readme-"));
      for (const file of block.files) writeFileSync(join(cwd, file.name), file.content);
      for (const example of block.examples) await runExample(example, cwd);
    });
  }
});

async function runExample(example: Example, cwd: string): Promise<void> {
  const where = `README.md:${example.line}: $ norce-event ${example.command}`;
  let line = example.command;
  for (const [readmeId, real] of ids) line = line.split(readmeId).join(real);
  line = line
    .replace(/\blocalhost:3000\b/g, `127.0.0.1:${receiver.port}`)
    .replace(/\blocalhost:(?!7412\b)\d+/g, `127.0.0.1:${closedPort}`);
  const { words, pipe } = shellWords(line, { TOKEN, NORCE_TOKEN: TOKEN });
  const command = words.find((w) => !w.startsWith("-")) ?? "";
  const ctx: Context = {
    cwd,
    env: { TOKEN, NORCE_TOKEN: TOKEN },
    receiver,
    closedPort,
    answer: (next) => {
      context.answers = [...next];
    },
  };
  const driver = DRIVERS[command] ?? oneShot;
  let run: Run;
  try {
    run = await driver(words, example, ctx);
  } catch (error) {
    throw new Error(`${where}\n  ${(error as Error).message}`);
  }
  const output = stripAnsi(run.output).replace(/\r/g, "");
  const show = `\n--- real output ---\n${output}`;
  expect(output, `${where}\n  printed an internal error${show}`).not.toMatch(
    /This is a bug in norce-event|\n\s+at .+:\d+:\d+/,
  );
  const expected = impliedExit(command, example.shown);
  const stopped = DRIVERS[command] !== undefined;
  const okCodes = stopped && expected === 0 ? [0, 130] : [expected];
  expect(
    okCodes,
    `${where}\n  exit ${run.code} (signal ${run.signal}), the example implies ${okCodes.join(" or ")}${show}`,
  ).toContain(run.code);
  if (pipe) {
    const printed = output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const text of example.shown.filter((l) => l.trim().startsWith("{"))) {
      const want = JSON.parse(text) as Record<string, unknown>;
      const match = printed.some((got) =>
        Object.entries(want).every(
          ([key, value]) => key in got && typeOf(got[key]) === typeOf(value),
        ),
      );
      expect(
        match,
        `${where}\n  no printed JSON line has the keys and types of\n    ${text}${show}`,
      ).toBe(true);
    }
    return;
  }
  const problem = mismatch(example.shown, output)?.replace(
    /^line (\d+) of the output shown/,
    (_, n: string) => `README.md:${example.line + Number(n)}`,
  );
  expect(problem, `${where}\n  ${problem}${show}`).toBeUndefined();
  learnIds(example.shown, output);
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
}

/** Pair the README's message ids with the real ones, line by line where the lines match. */
function learnIds(shown: readonly string[], output: string): void {
  const actual = output.split("\n");
  for (const line of shown) {
    const readmeIds = line.match(UUID);
    if (!readmeIds) continue;
    const twin = actual.find((a) => normalise(a) === normalise(line));
    const realIds = twin?.match(UUID);
    readmeIds.forEach((id, k) => {
      const real = realIds?.[k];
      if (!real) return;
      ids.set(id, real);
      ids.set(id.slice(0, 8), real.slice(0, 8));
    });
  }
}
