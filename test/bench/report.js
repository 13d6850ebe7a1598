// The verdicts and the table, apart from the measuring so the rules themselves are tested
// (test/e2e/bench.test.ts feeds them synthetic numbers).
//
// The rule that keeps a ratio honest: a baseline is only a baseline if what drives it has
// headroom. Every throughput row carries the ceiling of its load (the load generator's rate
// against a server doing the least possible work, or for sending the receiving server's rate under
// that generator). When the baseline reaches more than LOAD_BOUND_SHARE of that ceiling (the median
// of per-round baseline/ceiling), the baseline measured the load, not the server, and the row is
// "load-bound": it does not pass, whatever its ratio.

export const LOAD_BOUND_SHARE = 0.8;

/** The median of `values`. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median of per-round ratios: each round's pair ran side by side, so noise cancels. */
export function medianRatio(ours, base) {
  if (ours.length !== base.length || ours.length === 0) {
    throw new Error(`rounds differ: ${ours.length} against ${base.length}`);
  }
  return median(ours.map((value, i) => value / base[i]));
}

const count = (n) => Math.round(n).toLocaleString("en");

/**
 * A row comparing a measured rate with a baseline rate, round by round, with the ceiling of the
 * load that drove the baseline in the same rounds.
 *   baselineRounds, measuredRounds, ceilingRounds: rates per round (same length, same order)
 *   goal: the least ratio that passes, or undefined for a row shown for information
 *   ok: false when the measured side had errors or non-2xx answers (never a pass)
 */
export function ratioRow({
  target,
  baselineName,
  baselineRounds,
  measuredRounds,
  ceilingName,
  ceilingRounds,
  unit = "req/s",
  goal,
  ok = true,
  note = "",
}) {
  const ratio = medianRatio(measuredRounds, baselineRounds);
  const share = medianRatio(baselineRounds, ceilingRounds);
  const row = {
    target,
    baseline: `${baselineName}: ${count(median(baselineRounds))} ${unit}`,
    measured: `${count(median(measuredRounds))} ${unit}${note}`,
    ratio,
    goal: goal === undefined ? "—" : `≥ ${goal}×`,
    pass: goal === undefined ? undefined : ratio >= goal && ok,
    load: {
      name: ceilingName,
      ceiling: median(ceilingRounds),
      baseline: median(baselineRounds),
      share,
      rounds: { baseline: baselineRounds, ceiling: ceilingRounds },
    },
  };
  return { ...row, verdict: verdict(row) };
}

/** "load-bound", "pass", "FAIL" or "n/a" (a row for information). */
export function verdict(row) {
  if (row.load && !(row.load.share <= LOAD_BOUND_SHARE)) return "load-bound";
  if (row.pass === undefined) return "n/a";
  return row.pass ? "pass" : "FAIL";
}

/** The ceiling cell: what bounds the load, and how close the baseline came to it. */
export function ceilingCell(row) {
  if (!row.load) return "—";
  return `${row.load.name}: ${count(row.load.ceiling)}/s (baseline at ${Math.round(row.load.share * 100)}%)`;
}

export const HEADER = [
  "TARGET",
  "BASELINE (median)",
  "MEASURED (median)",
  "MEDIAN RATIO",
  "GOAL",
  "LOAD CEILING",
  "RESULT",
];

/** A row's cells, as both tables show them (the result cell as `result` words it). */
function rowCells(r, result) {
  return [
    r.target,
    r.baseline,
    r.measured,
    r.ratio === undefined ? "—" : `${r.ratio.toFixed(2)}×`,
    r.goal,
    ceilingCell(r),
    result(verdict(r)),
  ];
}

/** The table as lines of text, one row per target. */
export function formatTable(rows) {
  const cells = rows.map((r) => rowCells(r, (v) => v));
  const widths = HEADER.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c
      .map((v, i) => v.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(HEADER), ...cells.map(line)];
}

/** A full run fails when a target fails or a row is load-bound (its ratio proves nothing). */
export function failed(rows) {
  return rows.some((r) => verdict(r) === "FAIL" || verdict(r) === "load-bound");
}

/**
 * The table as Markdown, for the README: every cell as the printed table has it, the result
 * recomputed from the rounds (never "pass" for a load-bound row), fails and load-bound rows in bold.
 */
export function markdownTable(rows) {
  const cells = rows.map((r) =>
    rowCells(r, (v) => (v === "pass" ? "pass" : v === "n/a" ? "—" : `**${v}**`)),
  );
  const header = [
    "Target",
    "Baseline (median)",
    "Measured (median)",
    "Median ratio",
    "Goal",
    "Load ceiling",
    "Result",
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)];
}
