// Type-aware lint for what the compiler does not catch: promises nobody waits for or
// checks, promises passed where a plain value is expected, await on what is no promise.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", ".test-build/**", "node_modules/**", "bench/results/**", "web/public/**"] },
  {
    files: ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts", "fuzz/**/*.ts", "web/src/**/*.ts", "web/src/**/*.tsx"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `void promise` is not a check: a rejection there is unhandled and ends the process.
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          ignoreVoid: false,
          // node:test runs what test() and describe() return; nothing to await there.
          allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite", "before", "after", "beforeEach", "afterEach"] }],
        },
      ],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
);
