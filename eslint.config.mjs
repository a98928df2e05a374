// Lint is deliberately small: its job here is the one-way dependency rule of the owner's design
// (apps → runtime → {tokenizer → gguf, kernels}); type errors are caught by the `typecheck` targets.
import nx from '@nx/eslint-plugin';
import tsParser from '@typescript-eslint/parser';

export default [
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', '**/*.cjs', '**/*.mjs', '**/test-results/**'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tsParser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:format', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:kernels', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:text', onlyDependOnLibsWithTags: ['type:format'] },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:format', 'type:text', 'type:kernels'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:runtime', 'type:format', 'type:text', 'type:kernels', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:format', 'type:text', 'type:runtime', 'type:tool'] },
            { sourceTag: 'type:native', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'platform:any', onlyDependOnLibsWithTags: ['platform:any'] },
            { sourceTag: 'platform:browser', onlyDependOnLibsWithTags: ['platform:any', 'platform:browser'] },
            { sourceTag: 'platform:node', onlyDependOnLibsWithTags: ['platform:any', 'platform:node'] },
          ],
        },
      ],
    },
  },
  {
    // Tests may also use the synthetic model writers of tools/ and Node-only code; shipped code may not.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:format', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:kernels', onlyDependOnLibsWithTags: ['type:format'] },
            { sourceTag: 'type:text', onlyDependOnLibsWithTags: ['type:format'] },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:format', 'type:text', 'type:kernels', 'type:tool'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:runtime', 'type:format', 'type:text', 'type:kernels', 'type:tool'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:format', 'type:text', 'type:runtime', 'type:tool'] },
          ],
        },
      ],
    },
  },
];
