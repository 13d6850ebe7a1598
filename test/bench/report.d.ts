// Types for report.js, so the smoke test (TypeScript) can feed the report logic synthetic numbers.
export const LOAD_BOUND_SHARE: number;
export interface Row {
  target: string;
  baseline: string;
  measured: string;
  ratio: number | undefined;
  goal: string;
  pass: boolean | undefined;
  load?: {
    name: string;
    ceiling: number;
    baseline: number;
    share: number;
    rounds: { baseline: number[]; ceiling: number[] };
  };
  verdict?: Verdict;
}
export type Verdict = "pass" | "FAIL" | "load-bound" | "n/a";
export function median(values: number[]): number;
export function medianRatio(ours: number[], base: number[]): number;
export function ratioRow(input: {
  target: string;
  baselineName: string;
  baselineRounds: number[];
  measuredRounds: number[];
  ceilingName: string;
  ceilingRounds: number[];
  unit?: string;
  goal: number | undefined;
  ok?: boolean;
  note?: string;
}): Row & { verdict: Verdict };
export function verdict(row: Row): Verdict;
export function ceilingCell(row: Row): string;
export const HEADER: string[];
export function formatTable(rows: Row[]): string[];
export function failed(rows: Row[]): boolean;
export function markdownTable(rows: Row[]): string[];
