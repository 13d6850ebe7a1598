import { getEventType } from "../../events/catalog.js";
import { type Problem, validatePayload } from "../../events/validator.js";
import type { GlobalOptions } from "../globals.js";
import { readInput } from "../input.js";
import { print } from "../output.js";

interface Checked {
  /** 1-based line for NDJSON input; undefined for a single document. */
  line: number | undefined;
  valid: boolean;
  problems: Problem[];
}

export async function runValidate(
  file: string,
  options: { type: string; json?: boolean },
  globals: GlobalOptions,
): Promise<number> {
  const info = getEventType(options.type);
  const text = await readInput(file, "validate");
  const results = checkText(text, (payload) => validatePayload(info, payload));
  const valid = results.every((r) => r.valid);
  const source = file === "-" ? "stdin" : file;

  if (options.json) {
    print(
      JSON.stringify(
        {
          file: source,
          type: info.name,
          valid,
          results: results.length === 1 ? undefined : results,
          problems: results.length === 1 ? results[0]!.problems : undefined,
        },
        null,
        2,
      ),
    );
    return valid ? 0 : 1;
  }

  const style = globals.color && process.stdout.isTTY ? await import("../style.js") : undefined;
  const ok = style ? style.green("✓") : "✓";
  const bad = style ? style.red("✗") : "✗";
  if (valid) {
    print(
      `${ok} ${source} is a valid ${info.name}${results.length > 1 ? ` (${results.length} payloads)` : ""}`,
    );
    return 0;
  }
  const failed = results.filter((r) => !r.valid);
  print(
    `${bad} ${source} is not a valid ${info.name}` +
      (results.length > 1 ? ` (${failed.length} of ${results.length} payloads)` : ""),
  );
  for (const result of failed) {
    for (const problem of result.problems) {
      const where = result.line === undefined ? "" : `line ${result.line}: `;
      print(`  ${where}${problem.path} ${problem.message}`);
    }
  }
  return 1;
}

/** One JSON document, or one per line (NDJSON, as `generate --count` prints). */
function checkText(
  text: string,
  check: (payload: unknown) => { valid: boolean; problems: Problem[] },
): Checked[] {
  const whole = tryParse(text);
  if (whole.ok) return [{ line: undefined, ...check(whole.value) }];
  const lines = text.split(/\r?\n/);
  const nonEmpty = lines.filter((l) => l.trim() !== "");
  if (nonEmpty.length <= 1) {
    return [
      {
        line: undefined,
        valid: false,
        problems: [{ path: "$", message: `is not valid JSON: ${whole.error}` }],
      },
    ];
  }
  const results: Checked[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const parsed = tryParse(line);
    results.push(
      parsed.ok
        ? { line: index + 1, ...check(parsed.value) }
        : {
            line: index + 1,
            valid: false,
            problems: [{ path: "$", message: `is not valid JSON: ${parsed.error}` }],
          },
    );
  });
  return results;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
