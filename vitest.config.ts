import { defineConfig } from "vitest/config";

/**
 * Files whose tests bound a time (a probe answered within 1 s under a hostile flood, an import
 * under 5 ms, a timeout within 100 ms of its value, a gone sender noticed within 300 ms, the smoke
 * bench, the browser's lag): they run alone, one file at a time, after the rest, so another
 * test's load never decides them. Run together with the rest, the flood's probe took 1.4 s.
 */
const timing = [
  "test/e2e/listen-load.test.ts",
  "test/e2e/receiver.test.ts",
  "test/e2e/send-timeout.test.ts",
  "test/integration/listener-inject.test.ts",
  "test/browser/**/*.test.ts",
];

// Each file gets its own process; end-to-end files spawn the built CLI (npm test builds first).
// Most of a file's time is spent waiting on the processes and sockets it starts, so two files
// run at once (vitest's default on two cores is one: cores − 1). Two, not more, on any machine:
// that is what CI runs and what has been seen green.
const shared = {
  testTimeout: 20_000,
  hookTimeout: 20_000,
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    reporters: process.env.CI ? ["dot"] : ["default"],
    projects: [
      {
        test: {
          ...shared,
          name: "suite",
          include: ["test/**/*.test.ts"],
          exclude: ["test/bench/**", "node_modules/**", ...timing],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...shared,
          name: "timing",
          include: timing,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
