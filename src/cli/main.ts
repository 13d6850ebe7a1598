/**
 * The command line: every command is declared here (cheap) and its module is imported only when
 * it runs, so `norce-event --help` costs little more than starting Node.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../shared/errors.js";
import { packageVersion } from "../shared/package.js";
import { closest } from "../shared/text.js";
import { reportError } from "./errors.js";
import type { GlobalOptions } from "./globals.js";
import {
  collect,
  decimal,
  duration,
  httpStatus,
  integer,
  list,
  positiveDuration,
  size,
  waitDuration,
} from "./options.js";
import { guardBrokenPipe } from "./output.js";
import { safe, safeBlock } from "./render/safe.js";

/** Run the CLI with `argv` (without node and script). Resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  guardBrokenPipe();
  try {
    const first = buildProgram(argv);
    const args = helpFor(argv, first);
    const program = args === argv ? first : buildProgram(args);
    await program.parseAsync(args, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message; help and version are not errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}

/**
 * Each command is declared with its name, arguments and description (what `--help` lists); its
 * options and action are added only for the command being run: at start-up that is most of the
 * work commander does.
 */
function defineCommand(
  command: Command,
  configure: boolean,
  configureCommand: (cmd: Command) => unknown,
): void {
  if (configure) configureCommand(command);
}

/** A command whose words are its arguments (`show <message-id>`), not subcommands. */
function takesArgument(command: Command): boolean {
  return command.commands.length === 0 && command.registeredArguments.length > 0;
}

/** Which of these options (key, flag) were typed on the command line, not defaults: their flags. */
function typedFlags(command: Command, options: readonly (readonly [string, string])[]): string[] {
  return options
    .filter(([key]) => command.getOptionValueSource(key) === "cli")
    .map(([, flag]) => flag);
}

/** Global options that take a value: the word after them is not a command. */
const VALUED = new Set(["--config", "--store", "--retention"]);

/** The command the arguments name (after global options), if any; `help <command>` names it too. */
function commandIn(argv: readonly string[]): string | undefined {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (VALUED.has(arg)) i++;
    else if (!arg.startsWith("-")) words.push(arg);
  }
  return words[0] === "help" ? words[1] : words[0];
}

/**
 * `help` in a command path, wherever it is (`help relay channel create`, `relay help status`,
 * `relay channel help create`), as `<path> --help`: commander's help command looks one level down
 * only, ignores what follows, and says nothing of a name it does not know. An unknown name is a
 * usage error naming it. Left to commander: no `help`, or an option before it that the command
 * does not know or whose value is optional.
 */
function helpFor(argv: readonly string[], program: Command): readonly string[] {
  const globalOptions: string[] = [];
  const path: string[] = [];
  let current = program;
  let asked = false;
  // After `help`, an option's value may follow it (`help relay --port 0 status`): not a command.
  let maybeValue = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const afterOption = maybeValue;
    maybeValue = false;
    if (arg === "--") return argv; // what follows is arguments, not commands
    if (arg.startsWith("-")) {
      const flag = arg.split("=")[0];
      const option = [...current.options, ...program.options].find(
        (o) => o.long === flag || o.short === flag,
      );
      const withValue = option?.required === true && !arg.includes("=");
      if (asked) {
        // `help relay -h`: the help is asked for already. The value an option requires is not a
        // command (`help --store send relay`); after any other option, a value may follow.
        if (withValue) i++;
        else maybeValue = !arg.includes("=");
        continue;
      }
      if (path.length > 0) {
        // `relay --port 0 help bogus`: an option the command knows, with the value it requires.
        // One it does not know, or whose value may or may not follow: commander's to judge.
        if (!option || option.optional) return argv;
        if (withValue) i++;
        continue;
      }
      // An option the program does not know: commander's to judge.
      if (!program.options.some((o) => [o.long, o.short].includes(flag))) return argv;
      globalOptions.push(arg);
      if (VALUED.has(arg) && i + 1 < argv.length) globalOptions.push(argv[++i]!);
      continue;
    }
    // `show help` shows the event whose id is "help": where a command takes an argument and
    // has no subcommands, the word is its argument.
    if (arg === "help" && !takesArgument(current)) {
      asked = true;
      continue;
    }
    const next = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (next) {
      current = next;
      path.push(arg);
      continue;
    }
    if (!asked) return argv; // an argument, not a command: `send OrderConfirmedEvent …`
    if (afterOption) continue;
    const named = ["norce-event", ...path].join(" ");
    const names = current.commands.map((c) => c.name());
    const suggestion = closest(arg, names);
    // Escaped as typed: the error line would show a line break in it as a space.
    const shown = safe(arg);
    throw new UsageError(
      names.length > 0
        ? `unknown command '${shown}' for ${named}`
        : `${named} has no commands; '${shown}' is not one`,
      {
        hint: suggestion
          ? `did you mean ${named} ${suggestion}?`
          : `${named} --help lists ${names.length > 0 ? "its commands" : "its options"}`,
      },
    );
  }
  return asked ? [...globalOptions, ...path, "--help"] : argv;
}

/**
 * The program for `argv`: every command declared, only the one being run configured (its
 * options and action). `{ all: true }` configures every command: the whole CLI surface, which
 * the tests walk to check that every option is exercised and to generate argument lists.
 */
export function buildProgram(argv: readonly string[], options: { all?: boolean } = {}): Command {
  const wanted = commandIn(argv);
  const define = (
    command: Command,
    configure: boolean,
    configureCommand: (cmd: Command) => unknown,
  ) => defineCommand(command, options.all === true || configure, configureCommand);
  const program = new Command("norce-event")
    .description(
      "Norce Commerce Event on your laptop and in CI: realistic fake events delivered exactly as Norce delivers them, a local receiver, and contract tests.",
    )
    .version(packageVersion(), "-v, --version")
    .option("--no-color", "plain output, no colours (also: NO_COLOR=1)")
    .option(
      "--config <file>",
      "project config (default: norce-event.config.json, found walking up)",
    )
    .option(
      "--store <file>",
      "event store (default: .norce-event/events.db beside the config; env NORCE_EVENT_STORE)",
    )
    .option("--no-store", "record nothing")
    .option("--retention <duration>", "keep stored events this long (Norce's log: 7d)", duration)
    .showSuggestionAfterError(true)
    .showHelpAfterError("(run it with --help to see how it is used)")
    .exitOverride()
    .configureHelp({ sortSubcommands: false, helpWidth: 100 })
    .addHelpText(
      "after",
      `
Examples:
  $ norce-event demo                                   see both halves in a few seconds
  $ norce-event send OrderConfirmedEvent --to http://localhost:3000/receiver
  $ norce-event listen --port 7412
  $ norce-event test --to http://localhost:3000/receiver --junit report.xml

Docs: the README, or norce-event <command> --help.`,
    );

  program.configureOutput({
    // Commander's messages repeat the argument as typed: its control characters are escaped.
    outputError: (text, write) => write(safeBlock(text)),
  });

  define(
    program
      .command("demo")
      .description("a listener and six realistic events, with Norce's retries"),
    wanted === "demo",
    (cmd) =>
      cmd
        .option("--time-scale <n>", "how much faster than Norce the backoff runs", decimal(1), 10)
        .option("-s, --seed <n>", "seed for the events", integer(0), 2025)
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .action(async (options, command: Command) => {
          const { runDemo } = await import("./commands/demo.js");
          finish(await runDemo(options, globals(command)));
        }),
  );

  define(
    program
      .command("send")
      .description("deliver a fake event exactly as Norce does, retries and all")
      .argument("[type]", "event type (asked for in a terminal when left out)"),
    wanted === "send",
    (cmd) =>
      cmd
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
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .addOption(deliveryOptions.timeout())
        .addOption(deliveryOptions.maxRetries())
        .addOption(deliveryOptions.noRetry())
        .addOption(deliveryOptions.timeScale())
        .addOption(deliveryOptions.keepAuthOnRedirect())
        .option("-n, --count <n>", "send n distinct events", integer(1))
        .option(
          "--all",
          "one event of every type switched on in norce-event.config.json, each to its url",
        )
        .option("--force", "send a type the config switches off")
        .option("-c, --concurrency <n>", "requests in flight with --count", integer(1, 1024), 8)
        .option("--message-id <id>", "use this Norce-Event-Message-Id (default: a new UUID)")
        .addOption(deliveryOptions.signSecret())
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
        }),
  );

  define(
    program
      .command("listen")
      .description("a local receiver that shows, checks and answers Norce events"),
    wanted === "listen",
    (cmd) =>
      cmd
        .option("-p, --port <n>", "port; 0 for any free port", integer(0, 65535), 7412)
        .option("--host <host>", "interface to bind (loopback unless you say so)", "127.0.0.1")
        .option("--path <path>", "accept POSTs on this path only (default: any path)")
        .option("--headers", "show every header (secrets masked)")
        .option("--no-body", "one line per event")
        .option("--show-secrets", "show secret header values")
        .option("--json", "one JSON object per request on stdout, nothing else")
        .option(
          "--types <patterns>",
          "show only these types, e.g. OrderConfirmedEvent,Sku* (others are still answered)",
          list,
        )
        .option(
          "--status <code>",
          "status to answer (Norce's examples answer 202)",
          httpStatus,
          202,
        )
        .option(
          "--fail-first <n>",
          "answer 500 to the first n attempts of each message id",
          integer(1),
        )
        .option("--fail-rate <rate>", "answer 500 to this share of requests (0..1)", decimal(0, 1))
        .option(
          "--delay <duration>",
          "answer late, e.g. 6s to trip Norce's 5 s timeout",
          waitDuration,
        )
        .option(
          "--require-header <header>",
          'answer 401 unless the request has it, e.g. "Authorization: Bearer x" (repeatable)',
          collect,
        )
        .option(
          "--sign-secret <secret>",
          "verify Standard Webhooks signatures (from send --sign-secret)",
        )
        .option(
          "--forward-to <url>",
          "relay each event to your app and answer with its status (502 if it is down)",
        )
        .addOption(
          new Option(
            "--forward-timeout <duration>",
            "give up on the --forward-to app after this long and answer 504 (Norce's timeout)",
          )
            .argParser(positiveDuration)
            .default(5000, "5s"),
        )
        .addOption(
          new Option("--max-body <size>", "larger bodies get 413")
            .argParser(size)
            .default(1024 * 1024, "1mb"),
        )
        .option(
          "--time-scale <n>",
          "judge retry gaps against Norce's delays ÷ n (as send --time-scale); with --relay, also the app's retries",
          decimal(0.000001),
          1,
        )
        .option(
          "--inspect [port]",
          "serve the inspector page on its own port too (default 7413; 0 for any free one)",
        )
        .option(
          "--relay [url]",
          "also take events from a norce-event relay (default: the config's relay.url; secret from NORCE_RELAY_SECRET)",
        )
        .option("--channel <id>", "the relay channel (default: the config's relay.channel)")
        .option("--takeover", "replace another laptop connected to the channel")
        .addOption(
          new Option(
            "--expose <tool>",
            "a public URL through your installed tunnel (buffers nothing)",
          ).choices(["cloudflared", "ngrok"]),
        )
        .addOption(
          new Option("--ping-interval <duration>", "relay: ping this often")
            .argParser(positiveDuration)
            .default(15_000, "15s"),
        )
        .addOption(
          new Option(
            "--idle-timeout <duration>",
            "relay: a connection silent this long is dropped and dialled again",
          )
            .argParser(positiveDuration)
            .default(30_000, "30s"),
        )
        .addHelpText(
          "after",
          `
Examples:
  $ norce-event listen --port 7412
  $ norce-event listen --json | jq .type
  $ norce-event listen --fail-first 2                 # watch Norce's retries
  $ norce-event listen --forward-to http://localhost:3000/receiver
  $ norce-event listen --inspect                      # and open http://127.0.0.1:7413/
  $ norce-event listen --relay https://relay.example.com --forward-to http://localhost:3000/receiver
  $ norce-event listen --expose cloudflared

Ctrl-C stops it and prints a summary; that is its normal end, so the exit status is 0.`,
        )
        .action(async (options, command: Command) => {
          const { runListen } = await import("./commands/listen.js");
          const relayFlags = typedFlags(command, [
            ["takeover", "--takeover"],
            ["pingInterval", "--ping-interval"],
            ["idleTimeout", "--idle-timeout"],
          ]);
          finish(await runListen({ ...options, relayFlags }, globals(command)));
        }),
  );

  define(
    program
      .command("inspect")
      .description("a web page over the event store: every event sent and received, live"),
    wanted === "inspect",
    (cmd) =>
      cmd
        .option("-p, --port <n>", "port on 127.0.0.1; 0 for any free port", integer(0, 65535), 7413)
        .option(
          "--time-scale <n>",
          "judge retry gaps, and run replays, with Norce's delays divided by n",
          decimal(0.000001),
          1,
        )
        .action(async (options, command: Command) => {
          const { runInspect } = await import("./commands/inspect.js");
          finish(await runInspect(options, globals(command)));
        }),
  );

  define(
    program
      .command("relay")
      .description("a self-hosted tunnel: keeps Norce's events until your laptop takes them"),
    wanted === "relay",
    (cmd) => {
      cmd
        .option("-p, --port <n>", "port; 0 for any free port", integer(0, 65535), 8080)
        .option("--host <host>", "interface (loopback: put a TLS proxy in front)", "127.0.0.1")
        .option(
          "--secret <secret>",
          "shared with laptops; ${VAR} is expanded (default: NORCE_RELAY_SECRET)",
        )
        .addOption(
          new Option("--max-body <size>", "larger bodies get 413")
            .argParser(size)
            .default(1024 * 1024, "1mb"),
        )
        .addOption(
          new Option(
            "--mode <mode>",
            "buffered: store, answer 202; live: hold Norce's request for the laptop's answer",
          )
            .choices(["buffered", "live"])
            .default("buffered"),
        )
        .option("--json", "one JSON line per ingest, delivery, ack and connection on stdout")
        .addOption(
          new Option("--ping-interval <duration>", "ping each laptop this often")
            .argParser(positiveDuration)
            .default(15_000, "15s"),
        )
        .addOption(
          new Option("--idle-timeout <duration>", "drop a laptop silent this long")
            .argParser(positiveDuration)
            .default(30_000, "30s"),
        )
        .addHelpText(
          "after",
          `
The global --store (default relay.db) and --retention (default 72h) apply to the relay's queue.

Examples:
  $ norce-event relay --port 8080 --secret '\${NORCE_RELAY_SECRET}'
  $ norce-event relay channel create --relay https://relay.example.com
  $ norce-event relay status --relay https://relay.example.com`,
        )
        .action(async (options, command: Command) => {
          const { runRelay } = await import("./commands/relay.js");
          const typed = typedFlags(command, [
            ["pingInterval", "--ping-interval"],
            ["idleTimeout", "--idle-timeout"],
          ]);
          finish(await runRelay({ ...options, typed }, globals(command)));
        })
        // relay runs a server itself and has subcommands: commander adds `help` only to a
        // command without an action, so `relay help` would be taken as an argument to the server.
        .helpCommand("help [command]", "show help for a relay command");
      const channel = cmd.command("channel").description("channels: one per laptop (or team)");
      channel
        .command("create")
        .description("create a channel; prints the ingest URL for Norce's Admin UI")
        .option("--relay <url>", "the relay (default: the config's relay.url)")
        .option("--secret <secret>", "the relay's secret (default: NORCE_RELAY_SECRET)")
        .option("--path <path>", "the path after /in/<channel> in the URL printed", "/receiver")
        .option("--no-write-config", "do not write relay { url, channel } into the config")
        .option("--json", "print { channel, ingestUrl, relay, config } as JSON")
        .action(async (_options, command: Command) => {
          const { runChannelCreate } = await import("./commands/relay-channel.js");
          finish(await runChannelCreate(command.optsWithGlobals(), globals(command)));
        });
      cmd
        .command("status")
        .description("channels, waiting events and last laptop contact")
        .option("--relay <url>", "the relay (default: the config's relay.url)")
        .option("--secret <secret>", "the relay's secret (default: NORCE_RELAY_SECRET)")
        .option("--json", "print the status as JSON")
        .action(async (_options, command: Command) => {
          const { runRelayStatus } = await import("./commands/relay-status.js");
          finish(await runRelayStatus(command.optsWithGlobals(), globals(command)));
        });
    },
  );

  define(
    program
      .command("test")
      .description("contract tests for your receiver, with a JUnit report for CI"),
    wanted === "test",
    (cmd) =>
      cmd
        .option("-t, --to <url>", "the receiver to check, e.g. http://localhost:3000/receiver")
        .option(
          "-H, --header <header>",
          'your Admin UI headers, "Name: value" (repeatable); they are the credentials',
          collect,
        )
        .option(
          "--types <types>",
          "only these types, e.g. OrderConfirmedEvent,Sku* (default: all 19)",
          list,
        )
        .option("-s, --seed <n>", "seed for the events", integer(0), 1)
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .addOption(
          new Option("--timeout <duration>", "Norce's per-attempt limit")
            .argParser(positiveDuration)
            .default(5000, "5s"),
        )
        .option(
          "--scenarios [names]",
          "also the built-in scenarios (all, or e.g. order-lifecycle,product-update): in order, reordered, with duplicates",
          list,
        )
        .option("--junit <file>", "write a JUnit XML report (GitHub Actions, GitLab, Jenkins)")
        .option("--json", "print the report as JSON")
        .option("-c, --concurrency <n>", "cases run at once", integer(1, 64), 4)
        .addHelpText(
          "after",
          `
Exit status: 0 all passed, 1 a case failed, 2 usage error.

Examples:
  $ norce-event test --to http://localhost:3000/receiver
  $ norce-event test --to http://localhost:3000/receiver -H "Authorization: Bearer $TOKEN" --junit report.xml`,
        )
        .action(async (options, command: Command) => {
          const { runTest } = await import("./commands/test.js");
          finish(await runTest(options, globals(command)));
        }),
  );

  define(
    program
      .command("scenario")
      .description("a shop's real event sequences on one set of ids, in order or disorder"),
    wanted === "scenario",
    (cmd) => {
      cmd
        .command("list")
        .description("the built-in scenarios")
        .option("--json", "print them as JSON")
        .action(async (options, command: Command) => {
          const { runScenarioList } = await import("./commands/scenario.js");
          finish(await runScenarioList(options, globals(command)));
        });
      cmd
        .command("show")
        .description("a scenario's steps, shared ids, gaps and what is modeled")
        .argument("<name|file>", "a built-in (scenario list) or a scenario file (.json)")
        .option("-s, --seed <n>", "seed for the ids shown", integer(0), 1)
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .option("--json", "print the steps and planned payloads as JSON")
        .action(async (name: string, options, command: Command) => {
          const { runScenarioShow } = await import("./commands/scenario.js");
          finish(await runScenarioShow(name, options, globals(command)));
        });
      cmd
        .command("run")
        .description("deliver a scenario's events as Norce does, step by step")
        .argument("<name|file>", "a built-in (scenario list) or a scenario file (.json)")
        .option("-t, --to <url>", "the receiver (default: each type's url in the config)")
        .option(
          "-H, --header <header>",
          'a static header, "Name: value" (repeatable), as in Norce\'s Admin UI',
          collect,
        )
        .option("-s, --seed <n>", "same seed, same ids, payloads and disorder", integer(0))
        .option(
          "--repeat <n>",
          "run the sequence n times, each on new ids (n orders)",
          integer(1, 1000),
          1,
        )
        .option(
          "--chaos <kinds>",
          "disorder on purpose: duplicates, reorder, retry, burst (comma-separated)",
          list,
        )
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .addOption(deliveryOptions.timeout())
        .addOption(deliveryOptions.maxRetries())
        .addOption(deliveryOptions.noRetry())
        .addOption(
          new Option(
            "--time-scale <n>",
            "divide the gaps between steps and every backoff delay by n",
          ).argParser(decimal(0.000001)),
        )
        .addOption(
          new Option(
            "--max-gap <duration>",
            "the longest real wait between two steps, whatever the gap",
          )
            .argParser(duration)
            .default(500, "500ms"),
        )
        .option("--json", "one JSON object per line: the plan, each attempt, a summary")
        .addHelpText(
          "after",
          `
Examples:
  $ norce-event scenario run order-lifecycle --to http://localhost:7412/receiver --time-scale 1000
  $ norce-event scenario run order-lifecycle --to http://localhost:7412/receiver --chaos reorder,duplicates --seed 7
  $ norce-event scenario run my-scenario.json --to http://localhost:3000/receiver --repeat 20`,
        )
        .action(async (name: string, options, command: Command) => {
          const { runScenarioRun } = await import("./commands/scenario.js");
          finish(await runScenarioRun(name, options, globals(command)));
        });
      cmd
        .command("init")
        .description("write an example scenario file to start your own from")
        .argument("[file]", "where to write it", "scenario.json")
        .option("--force", "write over an existing file")
        .action(async (file: string, options) => {
          const { runScenarioInit } = await import("./commands/scenario.js");
          finish(await runScenarioInit(file, options));
        });
    },
  );

  define(
    program
      .command("schedule")
      .description("Norce's retry schedule: 16 retries over about 22 hours"),
    wanted === "schedule",
    (cmd) =>
      cmd
        .option(
          "--time-scale <n>",
          "also show the real times with this compression",
          decimal(0.000001),
        )
        .option("--max-retries <n>", "only the first n retries", integer(0, 16))
        .option("--json", "print the schedule as JSON")
        .action(async (options) => {
          const { runSchedule } = await import("./commands/schedule.js");
          finish(await runSchedule(options));
        }),
  );

  define(
    program.command("types").description("list Norce's 19 event types"),
    wanted === "types",
    (cmd) =>
      cmd
        .option("--json", "print the catalog as JSON (with modeled fields and sources)")
        .action(async (options, command: Command) => {
          const { runTypes } = await import("./commands/types.js");
          finish(await runTypes(options, globals(command)));
        }),
  );

  define(
    program
      .command("generate")
      .description("print realistic fake payloads of an event type")
      .argument("<type>", "event type, e.g. OrderConfirmedEvent (any case)"),
    wanted === "generate",
    (cmd) =>
      cmd
        .option("-s, --seed <n>", "same seed, same payload, on every machine", integer(0))
        .option(
          "-n, --count <n>",
          "how many payloads (distinct; one JSON object per line)",
          integer(1),
        )
        .option("--set <path=value>", "set a property (repeatable), coerced to its type", collect)
        .option("--unset <path>", "remove a property (repeatable)", collect)
        .option("--data <file|->", "merge a JSON object over the payload (- reads stdin)")
        .addOption(
          new Option(
            "--optionals <which>",
            "optional properties: some (most of the time), all, none",
          )
            .choices(["some", "all", "none"])
            .default("some"),
        )
        .option("--allow-invalid", "keep a result that breaks the schema (to test bad payloads)")
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .option("--compact", "one line even for a single payload")
        .action(async (type: string, options, command: Command) => {
          const { runGenerate } = await import("./commands/generate.js");
          finish(await runGenerate(type, options, globals(command)));
        }),
  );

  define(
    program
      .command("validate")
      .description("check a payload against its event type's schema")
      .argument("<file>", "a JSON file, or - for stdin (one object, or one per line)"),
    wanted === "validate",
    (cmd) =>
      cmd
        .requiredOption("-t, --type <type>", "the event type to check against")
        .option("--json", "print the result as JSON")
        .action(async (file: string, options, command: Command) => {
          const { runValidate } = await import("./commands/validate.js");
          finish(await runValidate(file, options, globals(command)));
        }),
  );

  define(
    program
      .command("init")
      .description("write norce-event.config.json, Norce's Admin UI as a file"),
    wanted === "init",
    (cmd) =>
      cmd
        .option("--url <url>", "the receiver URL for every type")
        .option(
          "-H, --header <header>",
          'a static header, "Name: value" (repeatable); tokens are written as ${VAR}',
          collect,
        )
        .option(
          "--types <types>",
          "switch on only these (the others are written off), e.g. Order*,SkuChangedNotification",
          list,
        )
        .option("--time-scale <n>", "compress Norce's backoff for every send", decimal(0.000001))
        .addOption(tenantOptions.clientId())
        .addOption(tenantOptions.applicationId())
        .option("--force", "write over an existing file")
        .action(async (options, command: Command) => {
          const { runInit } = await import("./commands/init.js");
          finish(await runInit(options, globals(command)));
        }),
  );

  define(
    program
      .command("log")
      .description("the event log: what was sent or received, delivered or dead"),
    wanted === "log",
    (cmd) =>
      cmd
        .option("--type <type>", "only this event type")
        .addOption(
          new Option(
            "--state <state>",
            "only events in this state (received: what listen recorded)",
          ).choices(["pending", "delivered", "dead", "received"]),
        )
        .addOption(
          new Option("--direction <direction>", "only sent or received").choices([
            "sent",
            "received",
          ]),
        )
        .option("--since <duration>", "only the last, e.g. 2h", duration)
        .option(
          "--scenario [run]",
          "one scenario run's events in order, with the shared ids (without a run: the recent runs)",
        )
        .option("--limit <n>", "at most n rows", integer(1), 50)
        .option("--json", "print the rows as JSON")
        .action(async (options, command: Command) => {
          const { runLog } = await import("./commands/log.js");
          finish(await runLog(options, globals(command)));
        }),
  );

  define(
    program
      .command("show")
      .description("everything about one stored event")
      .argument("<message-id>", "the Norce-Event-Message-Id (or its first characters)"),
    wanted === "show",
    (cmd) =>
      cmd
        .option("--json", "print it as JSON")
        .action(async (messageId: string, options, command: Command) => {
          const { runShow } = await import("./commands/show.js");
          finish(await runShow(messageId, options, globals(command)));
        }),
  );

  define(
    program
      .command("replay")
      .description("send a stored event again, as Norce redelivers it")
      .argument("<message-id>", "the Norce-Event-Message-Id (or its first characters)"),
    wanted === "replay",
    (cmd) =>
      cmd
        .option("-t, --to <url>", "another receiver (default: where it went, or the config's url)")
        .option(
          "--new-id",
          "a new message id and timestamp (default: the same, a true Norce redelivery)",
        )
        .option(
          "-H, --header <header>",
          "headers again, for secrets given on the command line (they are not stored)",
          collect,
        )
        .addOption(deliveryOptions.timeout())
        .addOption(deliveryOptions.maxRetries())
        .addOption(deliveryOptions.noRetry())
        .addOption(deliveryOptions.timeScale())
        .addOption(deliveryOptions.keepAuthOnRedirect())
        .addOption(
          deliveryOptions.signSecret(
            "the signing key again, for events sent signed (whsec_…; keys are never stored)",
          ),
        )
        .option("--json", "one JSON object per attempt and a summary")
        .action(async (messageId: string, options, command: Command) => {
          const { runReplay } = await import("./commands/replay.js");
          finish(await runReplay(messageId, options, globals(command)));
        }),
  );

  define(
    program.command("resume").description("continue pending deliveries after Ctrl-C or a crash"),
    wanted === "resume",
    (cmd) =>
      cmd
        .option(
          "-H, --header <header>",
          "headers again, for secrets given on the command line (they are not stored)",
          collect,
        )
        .option("-t, --to <url>", "send them to another receiver")
        .option("--time-scale <n>", "divide the remaining delays by n", decimal(0.000001))
        .addOption(deliveryOptions.keepAuthOnRedirect())
        .addOption(
          deliveryOptions.signSecret(
            "the signing key again, for events sent signed (whsec_…; keys are never stored)",
          ),
        )
        .option("--json", "one JSON object per attempt and a summary per event")
        .action(async (options, command: Command) => {
          const { runResume } = await import("./commands/resume.js");
          finish(await runResume(options, globals(command)));
        }),
  );

  return program;
}

/** The tenant every event carries, the same for every command that makes events. */
const tenantOptions = {
  clientId: () =>
    new Option(
      "--client-id <n>",
      "the ClientId every event carries (default: the config's client, or a fixed default)",
    ).argParser(integer(1, 2 ** 31 - 1)),
  applicationId: () =>
    new Option(
      "--application-id <ids>",
      "the client's ApplicationIds, e.g. 1201,1202 (each event carries one)",
    ).argParser(integers),
};

/** A comma-separated list of positive int32s (repeatable). */
function integers(value: string, previous: number[] = []): number[] {
  const parse = integer(1, 2 ** 31 - 1);
  const ids = list(value).map(parse);
  // `--application-id ,` named none: the default ids would be used without a word.
  if (ids.length === 0) throw new InvalidArgumentError(`"${value}" names no id.`);
  return [...previous, ...ids];
}

/** Norce's delivery policy as options, the same for every command that delivers. */
const deliveryOptions = {
  timeout: () =>
    new Option("--timeout <duration>", "per attempt, as Norce's")
      .argParser(positiveDuration)
      .default(5000, "5s"),
  maxRetries: () =>
    new Option("--max-retries <n>", "retries after the first attempt (Norce: 16)").argParser(
      integer(0, 16),
    ),
  noRetry: () => new Option("--no-retry", "send once; no retries"),
  keepAuthOnRedirect: () =>
    new Option(
      "--keep-auth-on-redirect",
      "send credential headers (Authorization, cookies, keys, tokens) on to a redirect to another host (dropped by default, as browsers do)",
    ),
  // `<secret>`, not `<whsec_...>`: a placeholder ending in "..." makes commander collect a list.
  signSecret: (
    description = "add Standard Webhooks signature headers, whsec_… (Norce itself signs nothing)",
  ) => new Option("--sign-secret <secret>", description),
  timeScale: () =>
    new Option(
      "--time-scale <n>",
      "divide every backoff delay by n (3600: 22 h in ~22 s)",
    ).argParser(decimal(0.000001)),
};

function globals(command: Command): GlobalOptions {
  const options = command.optsWithGlobals() as {
    color?: boolean;
    config?: string;
    store?: string | false;
    retention?: number;
  };
  return {
    color: options.color !== false && !process.env.NO_COLOR,
    ...(options.config ? { config: options.config } : {}),
    ...(options.store !== undefined ? { store: options.store } : {}),
    ...(options.retention !== undefined ? { retention: options.retention } : {}),
  };
}

function finish(code: number): void {
  process.exitCode = code;
}

/** The command line as `bin/norce-event.js` runs it (importing this module runs nothing). */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportError(error);
    },
  );
}
