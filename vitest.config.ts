import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "proxy/**/*.test.ts",
      "sdk/**/*.test.ts",
      "test/**/*.test.ts",
      "filters/**/*.test.ts",
      "registry/**/*.test.ts",
      "examples/**/*.test.ts",
      "bin/**/*.test.ts",
    ],
    exclude: ["**/node_modules/**", "**/dist/**"],
    globalSetup: [],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
