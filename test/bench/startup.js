// Start-up: wall time of `norce-event --help` and `norce-event types` against `node -e 0`,
// interleaved round by round so machine noise hits all three alike.
import { BIN, median, medianRatio, NODE, run } from "./lib.js";

export async function benchStartup({ smoke }) {
  const rounds = smoke ? 1 : 40;
  const commands = {
    base: ["-e", "0"],
    help: [BIN, "--help"],
    types: [BIN, "types"],
  };
  const times = { base: [], help: [], types: [] };
  const warmUp = smoke ? 0 : 2;
  for (let r = 0; r < rounds + warmUp; r++) {
    for (const [name, args] of Object.entries(commands)) {
      const { ms, code } = await run(NODE, args, { stdout: "ignore" });
      if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}`);
      if (r >= warmUp) times[name].push(ms); // warm-up rounds fill the file cache
    }
  }
  const base = median(times.base);
  return {
    raw: times,
    rows: ["help", "types"].map((name) => ({
      target: `start-up: norce-event ${name === "help" ? "--help" : "types"}`,
      baseline: `node -e 0: ${base.toFixed(1)} ms`,
      measured: `${median(times[name]).toFixed(1)} ms`,
      ratio: medianRatio(times[name], times.base),
      goal: "≤ 1.5×",
      pass: medianRatio(times[name], times.base) <= 1.5,
    })),
  };
}
