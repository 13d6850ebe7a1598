// Generation: `generate <type> --count N` payloads per second against plain json-schema-faker on
// the same schema (one seeded payload at a time), both as whole processes writing JSON lines.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { BIN, median, medianRatio, NODE, ROOT, run } from "./lib.js";

const TYPES = ["OrderConfirmedEvent", "SkuChangedNotification"];

export async function benchGenerate({ smoke }) {
  const ours = smoke ? 500 : 100_000;
  const plain = smoke ? 100 : 20_000;
  const rounds = smoke ? 1 : 3;
  const raw = {};
  const rows = [];
  for (const type of TYPES) {
    const rates = { ours: [], jsf: [] };
    for (let r = 0; r < rounds; r++) {
      const jsf = await run(
        NODE,
        [join(ROOT, "test/bench/servers/jsf-baseline.js"), type, String(plain)],
        { stdout: "ignore" },
      );
      rates.jsf.push((plain * 1000) / jsf.ms);
      const mine = await run(
        NODE,
        [BIN, "generate", type, "--count", String(ours), "--seed", "1"],
        { stdout: "ignore" },
      );
      if (mine.code !== 0) throw new Error(`generate exited ${mine.code}: ${mine.stderr}`);
      rates.ours.push((ours * 1000) / mine.ms);
    }
    // Determinism must hold at speed: the same seed gives the same bytes.
    const sample = smoke ? "100" : "2000";
    const a = await run(NODE, [BIN, "generate", type, "--count", sample, "--seed", "7"]);
    const b = await run(NODE, [BIN, "generate", type, "--count", sample, "--seed", "7"]);
    const same = hash(a.stdout) === hash(b.stdout);
    raw[type] = { ...rates, deterministic: same };
    const ratio = medianRatio(rates.ours, rates.jsf);
    rows.push({
      target: `generation: ${type}`,
      baseline: `json-schema-faker: ${Math.round(median(rates.jsf)).toLocaleString("en")}/s`,
      measured: `${Math.round(median(rates.ours)).toLocaleString("en")}/s${same ? "" : " (NOT deterministic)"}`,
      ratio,
      goal: "≥ 5×",
      pass: ratio >= 5 && same,
    });
  }
  return { raw, rows };
}

function hash(text) {
  return createHash("sha256").update(text).digest("hex");
}
