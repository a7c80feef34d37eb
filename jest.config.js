// One jest configuration for every package. Tests import workspace packages
// by name; the mapper points those names at the TypeScript sources so a test
// run never depends on a stale dist/. Type checking is done once, by `tsc -b`
// (tests are their own composite projects), so ts-jest only transpiles.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/bench', '<rootDir>/demo', '<rootDir>/examples', '<rootDir>/peer-process', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/', '<rootDir>/(bench|demo|examples|peer-process)/dist/', '<rootDir>/.tsbuild/'],
  moduleNameMapper: {
    '^@ipcm/peer-process$': '<rootDir>/peer-process/src/index.ts',
    '^@ipcm/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@ipcm/([a-z-]+)/internal$': '<rootDir>/packages/$1/src/internal.ts',
    '^@ipcm/([a-z-]+)/testing$': '<rootDir>/packages/$1/src/testing.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  testTimeout: 30000,
};
