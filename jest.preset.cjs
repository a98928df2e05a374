// Shared jest settings for every TS project. Tests are transpiled by ts-jest without type
// information (type checking is the separate `typecheck` target), and workspace packages are
// resolved to their TypeScript sources through the "@bitnet-wasm/source" export condition.
const path = require('node:path');

/** @param {string} projectDir absolute directory of the project */
module.exports = function preset(projectDir, overrides = {}) {
  const name = path.basename(projectDir);
  return {
    displayName: name,
    rootDir: projectDir,
    testEnvironment: 'node',
    testEnvironmentOptions: {
      customExportConditions: ['@bitnet-wasm/source', 'node', 'require', 'default'],
    },
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    transform: {
      '^.+\\.ts$': [
        'ts-jest',
        {
          diagnostics: false,
          tsconfig: {
            module: 'commonjs',
            moduleResolution: 'node10',
            target: 'ES2022',
            esModuleInterop: true,
            sourceMap: true,
            isolatedModules: true,
          },
        },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'cjs', 'mjs', 'json'],
    setupFiles: [path.join(__dirname, 'jest.setup-env.cjs')],
    ...overrides,
  };
};
