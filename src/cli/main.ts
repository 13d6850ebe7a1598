/**
 * The command line: every command is declared here (cheap) and its module is imported only when
 * it runs, so `norce-event --help` costs little more than starting Node.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { reportError } from "./errors.js";
import { collect, decimal, duration, integer } from "./options.js";
import { guardBrokenPipe } from "./output.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Run the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  guardBrokenPipe();
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message; help and version are not errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}

function buildProgram(): Command {
  const program = new Command("norce-event")
    .description(
      "Norce Commerce Event on your laptop and in CI: realistic fake events delivered exactly as Norce delivers them, a local receiver, and contract tests.",
    )
    .version(pkg.version, "-v, --version")
    .option("--no-color", "plain output, no colours (also: NO_COLOR=1)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureHelp({ sortSubcommands: false, helpWidth: 100 })
    .addHelpText(
      "after",
      `
Examples:
  $ norce-event demo                                   a listener, a few events, retries, in 20 s
  $ norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver
  $ norce-event listen --port 7412
  $ norce-event test --to http://localhost:3000/receiver --junit report.xml

Docs: the README, or norce-event <command> --help.`,
    );

  program.configureOutput({
    outputError: (text, write) => write(text.replace(/^error: /, "error: ")),
  });

  program
    .command("types")
    .description("list Norce's 19 event types: category, kind, completeness, description")
    .option("--json", "print the catalog as JSON (with modeled fields and sources)")
    .action(async (options, command: Command) => {
      const { runTypes } = await import("./commands/types.js");
      finish(await runTypes(options, globals(command)));
    });

  program
    .command("generate")
    .description("print realistic fake payloads of an event type (JSON; one per line with --count)")
    .argument("<type>", "event type, e.g. OrderConfirmedEvent (any case)")
    .option("-s, --seed <n>", "same seed, same payload, on every machine", integer(0))
    .option("-n, --count <n>", "how many payloads (distinct; one JSON object per line)", integer(1))
    .option("--set <path=value>", "set a property (repeatable), coerced to its type", collect)
    .option("--unset <path>", "remove a property (repeatable)", collect)
    .option("--data <file|->", "merge a JSON object over the payload (- reads stdin)")
    .addOption(
      new Option("--optionals <which>", "optional properties: some (most of the time), all, none")
        .choices(["some", "all", "none"])
        .default("some"),
    )
    .option("--allow-invalid", "keep a result that breaks the schema (to test bad payloads)")
    .option("--compact", "one line even for a single payload")
    .action(async (type: string, options, command: Command) => {
      const { runGenerate } = await import("./commands/generate.js");
      finish(await runGenerate(type, options, globals(command)));
    });

  program
    .command("validate")
    .description("check a payload file against its event type's schema (exit 1 when invalid)")
    .argument("<file>", "a JSON file, or - for stdin (one object, or one per line)")
    .requiredOption("-t, --type <type>", "the event type to check against")
    .option("--json", "print the result as JSON")
    .action(async (file: string, options, command: Command) => {
      const { runValidate } = await import("./commands/validate.js");
      finish(await runValidate(file, options, globals(command)));
    });

  program
    .command("send")
    .description(
      "deliver a fake event exactly as Norce does: headers, 5 s timeout, redirects, backoff",
    )
    .argument("[type]", "event type (asked for in a terminal when left out)")
    .option("-t, --to <url>", "the receiver's URL, e.g. http://localhost:3000/receiver")
    .option(
      "-H, --header <header>",
      'a static header, "Name: value" (repeatable), as in Norce\'s Admin UI',
      collect,
    )
    .option("-s, --seed <n>", "same seed, same payload", integer(0))
    .option("--set <path=value>", "set a payload property (repeatable)", collect)
    .option("--unset <path>", "remove a payload property (repeatable)", collect)
    .option("--data <file|->", "merge a JSON object over the payload (- reads stdin)")
    .addOption(
      new Option("--optionals <which>", "optional properties: some, all, none")
        .choices(["some", "all", "none"])
        .default("some"),
    )
    .option("--allow-invalid", "send a payload that breaks the schema")
    .option("--timeout <duration>", "per attempt, as Norce's", duration, 5000)
    .option("--max-retries <n>", "retries after the first attempt (Norce: 16)", integer(0, 16))
    .option("--no-retry", "send once; no retries")
    .option(
      "--time-scale <n>",
      "divide every backoff delay by n (3600: 22 h in ~22 s)",
      decimal(0.000001),
      1,
    )
    .option("-n, --count <n>", "send n distinct events", integer(1))
    .option("-c, --concurrency <n>", "requests in flight with --count", integer(1, 1024), 8)
    .option("--message-id <id>", "use this Norce-Event-Message-Id (default: a new UUID)")
    .option(
      "--sign-secret <whsec_...>",
      "add Standard Webhooks signature headers (Norce itself signs nothing)",
    )
    .option("--dry-run", "print the exact request and send nothing")
    .option("--json", "one JSON object per attempt and a summary; nothing else on stdout")
    .option("--show-secrets", "show secret header values (masked by default)")
    .addHelpText(
      "after",
      `
Examples:
  $ norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver
  $ norce-event send SkuChangedNotification --to http://localhost:3000/receiver -H "Authorization: Bearer $TOKEN"
  $ norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver --time-scale 3600   # 22 h of retries in ~22 s
  $ norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver --count 1000 --concurrency 32`,
    )
    .action(async (type: string | undefined, options, command: Command) => {
      const { runSend } = await import("./commands/send.js");
      finish(await runSend(type, options, globals(command)));
    });

  program
    .command("schedule")
    .description("print Norce's retry schedule: 16 retries over about 22 hours")
    .option("--time-scale <n>", "also show the real times with this compression", decimal(0.000001))
    .option("--max-retries <n>", "only the first n retries", integer(0, 16))
    .option("--json", "print the schedule as JSON")
    .action(async (options) => {
      const { runSchedule } = await import("./commands/schedule.js");
      finish(await runSchedule(options));
    });

  return program;
}

/** Options every command inherits from the program (`--no-color`). */
export interface GlobalOptions {
  color: boolean;
}

function globals(command: Command): GlobalOptions {
  const options = command.optsWithGlobals() as { color?: boolean };
  return { color: options.color !== false && !process.env.NO_COLOR };
}

function finish(code: number): void {
  process.exitCode = code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportError(error);
  },
);
