// ESLint's rules for valuegrad's front end. Run from the repository's root (make lint-js does):
//   tests/js/node_modules/.bin/eslint -c tests/js/eslint.config.mjs
// The recommended rules catch real mistakes (an undefined name, an unused variable, a duplicate key);
// the few added below keep the files in one plain style. Formatting is left alone.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["**/node_modules/**", "build/**", ".venv/**"] },
  js.configs.recommended,
  {
    // The browser's modules: the backprop player, the explorer, the playground page.
    files: ["autograd/viz/*.js", "nn/explore/static/*.js", "docs/**/*.js", "docs/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    // The playground's Web Worker: a module worker, with the worker's globals.
    files: ["docs/playground/*worker*.js"],
    languageOptions: { globals: { ...globals.worker } },
  },
  {
    // The tests themselves run in Node.
    files: ["tests/js/**/*.mjs", "tests/js/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
];
