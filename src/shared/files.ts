/** Reading a file the user names (a config, a scenario): a regular file of bounded size only. */
import { readFileSync, statSync } from "node:fs";

/** More than any config or scenario file needs: 16 MiB. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The text of a regular file. A device (`/dev/zero`), a folder or a file over `maxBytes` is
 * refused with the reason (a string, for the caller's own error class), never read without end.
 */
export function readRegularFile(
  path: string,
  maxBytes = MAX_FILE_BYTES,
): { text: string } | { problem: string } {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: code === "ENOENT" ? "no such file" : `cannot read (${code})` };
  }
  if (stats.isDirectory()) return { problem: "is a folder, not a file" };
  if (!stats.isFile()) return { problem: "is not a regular file (a device or a pipe)" };
  if (stats.size > maxBytes) {
    return { problem: `is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB` };
  }
  try {
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    return { problem: `cannot read (${(error as NodeJS.ErrnoException).code})` };
  }
}
