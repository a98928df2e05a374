// Lint is deliberately small: its job here is the one-way dependency rule of the owner's design
// (apps → runtime → {tokenizer → gguf, kernels}); type errors are caught by the `typecheck` targets.
import nx from '@nx/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

/** What each kind of project may import (Nx project tags). */
const TYPE_DEPS = {
  'type:format': [],
  'type:kernels': [],
  'type:text': ['type:format'],
  'type:runtime': ['type:format', 'type:text', 'type:kernels'],
  'type:app': ['type:runtime', 'type:format', 'type:text', 'type:kernels', 'type:tool'],
  'type:tool': ['type:format', 'type:text', 'type:runtime', 'type:tool'],
  'type:native': [],
};
/** Libraries stay isomorphic: Node-only and browser-only code lives in apps (and `./node` subpaths). */
const PLATFORM_DEPS = {
  'platform:any': ['platform:any'],
  'platform:browser': ['platform:any', 'platform:browser'],
  'platform:node': ['platform:any', 'platform:node'],
};
/** Tests may also read fixtures with the gguf reader and write models with tools/models, and use Node. */
const TEST_EXTRA = { 'type:kernels': ['type:format'], 'type:runtime': ['type:tool'] };

const boundaries = (deps) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: Object.entries(deps).map(([sourceTag, onlyDependOnLibsWithTags]) => ({ sourceTag, onlyDependOnLibsWithTags })),
  },
];
const testTypeDeps = Object.fromEntries(
  Object.entries(TYPE_DEPS)
    .filter(([tag]) => tag !== 'type:native')
    .map(([tag, deps]) => [tag, [...deps, ...(TEST_EXTRA[tag] ?? [])]]),
);

export default [
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/*.cjs', '**/*.mjs', '**/test-results/**'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries({ ...TYPE_DEPS, ...PLATFORM_DEPS }) },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/e2e/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(testTypeDeps) },
  },
];
