/**
 * Which options of which command the end-to-end tests use, read from their source: a quoted
 * flag (`"--no-retry"`, `"-H"`, `"--timeout=5s"`) counts for the command named last before it in
 * the same file (a quoted command name such as `"send"`, or `startListen(` for listen), and the
 * README's `$ norce-event …` lines count for their command (the README test runs every one).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseReadme } from "./readme.js";
import type { SurfaceCommand } from "./surface.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Files whose argument lists prove nothing about an option's behaviour. */
const NOT_EVIDENCE = new Set(["options.test.ts", "cli-property.test.ts"]);

/** `command → flags used` (flags as written: long or short); `(global)` holds the global ones. */
export function usedFlags(surface: readonly SurfaceCommand[]): Map<string, Set<string>> {
  const names = surface.map((c) => c.name).filter((n) => n !== "(global)");
  const used = new Map<string, Set<string>>(surface.map((c) => [c.name, new Set<string>()]));
  const note = (command: string | undefined, flag: string) => {
    used.get("(global)")!.add(flag);
    if (command) used.get(command)?.add(flag);
  };
  const e2e = join(ROOT, "test", "e2e");
  for (const file of readdirSync(e2e).filter((f) => f.endsWith(".ts") && !NOT_EVIDENCE.has(f))) {
    const source = readFileSync(join(e2e, file), "utf8");
    const token = new RegExp(
      `start(Listen|Relay)\\(|["'\`](${names.join("|")})["'\`]|["'\`](--?[a-zA-Z][\\w-]*)(?:=[^"'\`]*)?["'\`]`,
      "g",
    );
    let command: string | undefined;
    for (const m of source.matchAll(token)) {
      if (m[1]) command = m[1].toLowerCase();
      else if (m[2]) command = m[2];
      else if (m[3]) note(command, m[3]);
    }
  }
  for (const line of readmeCommands()) {
    const words = line.split(/\s+/);
    const command = words.find((w) => names.includes(w));
    for (const w of words) {
      const flag = /^(--?[a-zA-Z][\w-]*)/.exec(w)?.[1];
      if (flag) note(command, flag);
    }
  }
  return used;
}

/** The `$ norce-event …` lines the README test runs (without the `$ norce-event`). */
export function readmeCommands(): string[] {
  return parseReadme(readFileSync(join(ROOT, "README.md"), "utf8"))
    .filter((block) => block.skip === undefined)
    .flatMap((block) => block.examples.map((e) => e.command));
}
