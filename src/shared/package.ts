/**
 * The package's own version, read from its package.json. This module sits two folders below the
 * package root (src/shared, dist/shared), as every chunk of the CLI's bundle does (dist/bundle):
 * `../../` is the root from all of them. "" when the file cannot be read.
 */
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  try {
    return (
      JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
        version: string;
      }
    ).version;
  } catch {
    return "";
  }
}
