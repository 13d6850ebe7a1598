/**
 * The CLI's surface as commander declares it: every command with every option, read from the
 * same program the CLI builds (`buildProgram(argv, { all: true })`), so a new option is seen by
 * the tests the moment it is declared.
 */
import { buildProgram } from "../../src/cli/main.js";

export interface SurfaceOption {
  /** e.g. `--no-retry`. */
  long: string;
  /** e.g. `-t`. */
  short: string | undefined;
  /** It takes a value (`<x>` or `[x]`). */
  takesValue: boolean;
  /** The values it accepts, when commander restricts them. */
  choices: readonly string[] | undefined;
}

export interface SurfaceCommand {
  /** The command's name; `(global)` for the program's own options. */
  name: string;
  /** Its positional arguments: their names and whether they are required. */
  args: { name: string; required: boolean }[];
  options: SurfaceOption[];
}

export function cliSurface(): SurfaceCommand[] {
  const program = buildProgram([], { all: true });
  const toOption = (o: (typeof program.options)[number]): SurfaceOption => ({
    long: o.long ?? o.flags,
    short: o.short,
    takesValue: o.required || o.optional,
    choices: o.argChoices,
  });
  return [
    {
      name: "(global)",
      args: [],
      options: program.options.map(toOption),
    },
    ...program.commands.map((command) => ({
      name: command.name(),
      args: command.registeredArguments.map((a) => ({ name: a.name(), required: a.required })),
      options: command.options.map(toOption),
    })),
  ];
}
