/**
 * The package's own version, read from its package.json. This module sits two folders below the
 * package root (src/shared, dist/shared), as every chunk of the CLI's bundle does (dist/bundle):
 * `../../` is the root from all of them. "" when the file cannot be read.
 */
import { readFileSync } from "node:fs";

let version: string | undefined;

/** Read once per process (the CLI's `--version`, listen's banner and the inspector ask for it). */
export function packageVersion(): string {
  if (version !== undefined) return version;
  try {
    version = (
      JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    version = "";
  }
  return version;
}
