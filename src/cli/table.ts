/** Plain-text tables for terminals: padded columns that fit the width and never wrap. */

export interface TableOptions {
  /** Lines fit in this many characters: flexible columns are cut, then whole lines. */
  maxWidth?: number;
  /** Style for the header row (applied after padding, so widths stay right). */
  header?: (text: string) => string;
  /** Columns to right-align (numbers), by index. */
  alignRight?: readonly number[];
  /**
   * Columns that may be cut to fit `maxWidth`, by index, down to `min` characters; `middle` keeps
   * both ends (a URL's host and the end of its path). Without any, the last column is cut.
   */
  flexible?: readonly { column: number; min: number; middle?: boolean }[];
}

export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const widths = naturalWidths(headers, rows);
  const last = headers.length - 1;
  const flexible = options.flexible ?? [{ column: last, min: 10 }];
  if (options.maxWidth !== undefined) {
    let excess = tableWidth(widths) - options.maxWidth;
    // Take what is too much from the flexible columns, the widest first.
    while (excess > 0) {
      const widest = flexible
        .filter((f) => widths[f.column]! > f.min)
        .sort((a, b) => widths[b.column]! - widths[a.column]!)[0];
      if (!widest) break;
      widths[widest.column]!--;
      excess--;
    }
  }
  const middle = new Set(flexible.filter((f) => f.middle).map((f) => f.column));
  const format = (cells: readonly string[]) => {
    const line = cells
      .map((cell, i) => {
        const width = widths[i]!;
        const text = visibleLength(cell) > width ? cut(cell, width, middle.has(i)) : cell;
        if (i === last) return text;
        return options.alignRight?.includes(i) ? padStart(text, width) : padEnd(text, width);
      })
      .join("  ")
      .trimEnd();
    // Never wrap: what still does not fit is cut at the edge.
    return options.maxWidth !== undefined && visibleLength(line) > options.maxWidth
      ? cut(line, options.maxWidth, false)
      : line;
  };
  const head = format(headers);
  return [options.header ? options.header(head) : head, ...rows.map(format)].join("\n");
}

/** Each column's width: its widest cell or header. */
export function naturalWidths(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): number[] {
  return headers.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))),
  );
}

/** A table's line width for these column widths (two spaces between columns). */
export function tableWidth(widths: readonly number[]): number {
  return widths.reduce((sum, w) => sum + w, 0) + 2 * Math.max(0, widths.length - 1);
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

function cut(text: string, width: number, middle: boolean): string {
  const plain = text.replace(ANSI, "");
  if (plain.length <= width) return text;
  if (width <= 1) return "…".slice(0, width);
  if (!middle) return `${plain.slice(0, width - 1)}…`;
  const head = Math.ceil((width - 1) / 2);
  return `${plain.slice(0, head)}…${plain.slice(plain.length - (width - 1 - head))}`;
}
