/** Plain-text tables for terminals: padded columns, the last one cut to fit the width. */

export interface TableOptions {
  /** Cut the last column so lines fit in this many characters. */
  maxWidth?: number;
  /** Style for the header row (applied after padding, so widths stay right). */
  header?: (text: string) => string;
  /** Columns to right-align (numbers), by index. */
  alignRight?: readonly number[];
}

export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const widths = headers.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))),
  );
  const last = headers.length - 1;
  const fixed = widths.slice(0, last).reduce((sum, w) => sum + w + 2, 0);
  if (options.maxWidth !== undefined) {
    widths[last] = Math.max(10, Math.min(widths[last]!, options.maxWidth - fixed));
  }
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i]!;
        if (i === last) return cut(cell, width);
        return options.alignRight?.includes(i) ? padStart(cell, width) : padEnd(cell, width);
      })
      .join("  ")
      .trimEnd();
  const head = format(headers);
  return [options.header ? options.header(head) : head, ...rows.map(format)].join("\n");
}

const ANSI = /\u001b\[[0-9;]*m/g;

export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - visibleLength(text)));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - visibleLength(text))) + text;
}

function cut(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  return `${text.replace(ANSI, "").slice(0, width - 1)}…`;
}
