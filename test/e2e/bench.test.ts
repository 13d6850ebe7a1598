import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  failed,
  formatTable,
  LOAD_BOUND_SHARE,
  markdownTable,
  medianRatio,
  type Row,
  ratioRow,
  verdict,
} from "../bench/report.js";
import { runNode } from "../helpers/cli.js";

const RUNNER = fileURLToPath(new URL("../bench/run.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TABLE_START = "<!-- bench-table: test/bench/results/latest.json -->";
const TABLE_END = "<!-- /bench-table -->";

/** A listening row from synthetic rounds: the baseline at `share` of the generator's ceiling. */
function listeningRow(share: number, measuredShareOfBaseline: number, goal: number | undefined) {
  const ceiling = [40_000, 38_000, 42_000];
  const baseline = ceiling.map((c) => c * share);
  return ratioRow({
    target: "listening: --json > /dev/null",
    baselineName: "node:http",
    baselineRounds: baseline,
    measuredRounds: baseline.map((b) => b * measuredShareOfBaseline),
    ceilingName: "generator",
    ceilingRounds: ceiling,
    goal,
  });
}

/** The RESULT cell of a row as the printed table shows it. */
function shown(row: Row): string {
  const [, line] = formatTable([row]);
  return line!
    .trim()
    .split(/\s{2,}/)
    .at(-1)!;
}

describe("benchmark report: a ratio only counts when the load had headroom", () => {
  it("marks a row load-bound, never pass, when the baseline is at 90% of the load's ceiling", () => {
    // A passing ratio (0.6× against a goal of 0.5×), but the bare server answered 90% of what the
    // generator can offer at all: the baseline measured the generator.
    const row = listeningRow(0.9, 0.6, 0.5);
    expect(row.ratio).toBeCloseTo(0.6);
    expect(row.pass).toBe(true); // the ratio alone would pass...
    expect(row.verdict).toBe("load-bound"); // ...the verdict does not
    expect(verdict(row)).toBe("load-bound");
    expect(shown(row)).toBe("load-bound");
    expect(formatTable([row]).join("\n")).not.toMatch(/\bpass\b/);
    expect(failed([row])).toBe(true);
  });

  it("passes the same ratio with headroom, up to the 80% line, and fails a short ratio", () => {
    expect(LOAD_BOUND_SHARE).toBe(0.8);
    expect(shown(listeningRow(0.5, 0.6, 0.5))).toBe("pass");
    expect(shown(listeningRow(0.8, 0.6, 0.5))).toBe("pass");
    expect(shown(listeningRow(0.81, 0.6, 0.5))).toBe("load-bound");
    expect(shown(listeningRow(0.5, 0.4, 0.5))).toBe("FAIL");
    expect(failed([listeningRow(0.5, 0.6, 0.5)])).toBe(false);
  });

  it("marks rows for information load-bound too, and shows the ceiling beside the result", () => {
    const row = listeningRow(0.95, 0.6, undefined);
    expect(row.pass).toBeUndefined();
    expect(shown(row)).toBe("load-bound");
    expect(shown(listeningRow(0.5, 0.6, undefined))).toBe("n/a");
    expect(formatTable([listeningRow(0.5, 0.6, 0.5)]).join("\n")).toContain(
      "generator: 40,000/s (baseline at 50%)",
    );
  });

  it("takes the median of per-round shares, so one quiet round cannot hide a load-bound run", () => {
    const row = ratioRow({
      target: "sending: 20,000 events, 32 in flight",
      baselineName: "undici Pool loop",
      baselineRounds: [9_000, 9_500, 5_000],
      measuredRounds: [8_000, 8_000, 4_500],
      ceilingName: "receiver",
      ceilingRounds: [10_000, 10_000, 20_000],
      unit: "events/s",
      goal: 0.8,
    });
    expect(row.load?.share).toBeCloseTo(0.9);
    expect(row.verdict).toBe("load-bound");
  });
});

describe("the README's performance table", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const results = JSON.parse(readFileSync(join(ROOT, "test/bench/results/latest.json"), "utf8"));
  const rows: Row[] = results.rows;

  it("is the committed full run's table, cell for cell (node test/bench/table.js renders it)", () => {
    expect(results.smoke).toBe(false);
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start, "the README marks its table").toBeGreaterThan(0);
    const shownTable = readme.slice(start + TABLE_START.length, end).trim();
    expect(shownTable).toBe(markdownTable(rows).join("\n"));
  });

  it("marks no row pass whose baseline was load-bound (shares recomputed from the rounds)", () => {
    for (const row of rows) {
      if (!row.load) continue;
      const share = medianRatio(row.load.rounds.baseline, row.load.rounds.ceiling);
      expect(row.load.share, row.target).toBeCloseTo(share, 9);
      const shownRow = markdownTable([row])[2]!;
      if (/\| pass \|$/.test(shownRow)) {
        expect(share, `${row.target} is shown as pass`).toBeLessThanOrEqual(LOAD_BOUND_SHARE);
      }
      if (share > LOAD_BOUND_SHARE) expect(shownRow, row.target).toMatch(/\*\*load-bound\*\* \|$/);
    }
    // A row the table would show as pass is load-bound once its baseline nears its ceiling.
    const pass = rows.find((row) => row.load && verdict(row) === "pass");
    if (pass?.load) {
      const bound = { ...pass, load: { ...pass.load, share: 0.95 } };
      expect(markdownTable([bound])[2]).toMatch(/\*\*load-bound\*\* \|$/);
    }
  });
});

describe("benchmarks (smoke run, tiny sizes)", () => {
  it("every benchmark runs and reports its target, with the load ceilings and raw numbers", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "norce-event-bench-")), "smoke.json");
    const { code, stdout, stderr } = await runNode([RUNNER, "--smoke", "--out", out], {
      timeoutMs: 110_000,
    });
    expect(code, stderr).toBe(0);
    for (const target of [
      "start-up: norce-event --help",
      "start-up: norce-event types",
      "generation: OrderConfirmedEvent",
      "generation: SkuChangedNotification",
      "load generator: raw sockets",
      "sending:",
      "listening: --json",
      "listening: pretty",
      "listening: RSS",
      "retries:",
      "LOAD CEILING",
      "load average",
      "relay: durable ingest",
      "relay: post → app latency",
    ]) {
      expect(stdout).toContain(target);
    }
    // The ceilings are printed beside the throughput rows.
    expect(stdout).toMatch(/listening: --json .*generator: [\d,]+\/s \(baseline at \d+%\)/);
    expect(stdout).toMatch(/sending: 100 events.*receiver: [\d,]+\/s \(baseline at \d+%\)/);
    const results = JSON.parse(readFileSync(out, "utf8"));
    expect(results.smoke).toBe(true);
    expect(Object.keys(results.raw)).toEqual([
      "startup",
      "generate",
      "load",
      "send",
      "listen",
      "retries",
      "relay",
    ]);
    const rows: Row[] = results.rows;
    expect(rows.every((row) => row.measured.length > 0)).toBe(true);
    // Every throughput ratio carries its load's ceiling, and the verdict in the JSON is the
    // report's: no row is "pass" with its baseline above 80% of its ceiling.
    const ratios = rows.filter(
      (row) => /^(listening|sending):/.test(row.target) && row.ratio !== undefined,
    );
    expect(ratios.length).toBe(8);
    for (const row of ratios) {
      expect(row.load?.ceiling, row.target).toBeGreaterThan(0);
      expect(row.load?.rounds.ceiling.length, row.target).toBe(row.load?.rounds.baseline.length);
    }
    for (const row of rows) {
      expect(row.verdict, row.target).toBe(verdict(row));
      if (row.verdict === "pass" && row.load) {
        expect(row.load.share, row.target).toBeLessThanOrEqual(LOAD_BOUND_SHARE);
      }
    }
    expect(results.raw.listen.ceiling.rounds.length).toBe(results.raw.listen.bare.rounds.length);
    expect(results.raw.send.receiver.length).toBe(results.raw.send.pool.length);
    // Even at tiny sizes, what is checked exactly holds: determinism and no early retry.
    expect(results.raw.generate.OrderConfirmedEvent.deterministic).toBe(true);
    expect(results.raw.retries.lateness.early).toBe(0);
  }, 120_000);

  it("store.js times SQLite's two writes per event alone, and refuses a bad --events", async () => {
    const STORE = fileURLToPath(new URL("../bench/store.js", import.meta.url));
    const ran = await runNode([STORE, "--events", "640"], { cwd: ROOT, timeoutMs: 60_000 });
    expect(ran.code, ran.stderr).toBe(0);
    const both = Number(/both writes\s+([\d.]+) µs/.exec(ran.stdout)?.[1]);
    const ahead = Number(/write ahead alone\s+([\d.]+) µs/.exec(ran.stdout)?.[1]);
    expect(both).toBeGreaterThan(0);
    expect(ahead).toBeGreaterThan(0);
    const bad = await runNode([STORE, "--events", "5"], { cwd: ROOT });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("usage: node test/bench/store.js");
  });

  it("instructions.js and profile.js refuse bad arguments before starting anything (exit 2)", async () => {
    const INSTRUCTIONS = fileURLToPath(new URL("../bench/instructions.js", import.meta.url));
    const PROFILE = fileURLToPath(new URL("../bench/profile.js", import.meta.url));
    for (const [args, message] of [
      [
        [INSTRUCTIONS, "--small", "900", "--large", "500"],
        "--large (500) must be more than --small (900)",
      ],
      [[INSTRUCTIONS, "nope"], 'no side "nope"'],
      [[INSTRUCTIONS, "--large", "x"], "--large takes a whole number of at least 1"],
      [[PROFILE, "listen", "--seconds", "0", "--", "--no-store"], "--seconds takes a whole number"],
    ] as const) {
      const result = await runNode([...args], { cwd: ROOT });
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toContain(message);
    }
  });
});
