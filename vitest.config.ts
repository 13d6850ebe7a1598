import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: "forks",
    // Each file gets its own process; end-to-end files spawn the built CLI (npm test builds first).
    reporters: process.env.CI ? ["dot"] : ["default"],
  },
});
