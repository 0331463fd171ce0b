/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // swc strips types only; `npm run typecheck` (tsc --noEmit) is the type gate.
    "^.+\\.(t|j|mj)s$": ["@swc/jest", { jsc: { target: "es2022" }, module: { type: "commonjs" } }],
  },
  // hyparquet and hyparquet-writer ship ES modules only; let swc turn them into CommonJS for jest.
  transformIgnorePatterns: ["/node_modules/(?!(hyparquet|hyparquet-writer)/)"],
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // A private TMPDIR per run, removed at the end: tests and the tools they start leave no temp folders behind.
  globalSetup: "<rootDir>/__tests__/global-setup.ts",
  globalTeardown: "<rootDir>/__tests__/global-teardown.ts",
  testTimeout: 60000,
};
