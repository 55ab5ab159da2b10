/** jest transpiles with swc only; `tsc --noEmit` type-checks once in `npm test`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // @noble/* and jose ship ES modules only; let swc turn them into CommonJS for jest's module loader.
  transformIgnorePatterns: ['/node_modules/(?!(@noble|jose)/)'],
  setupFilesAfterEnv: ['<rootDir>/test/setup-matchers.ts'],
  // a dynamic import names its TypeScript module by its .js output name, as Node16 resolution asks.
  moduleNameMapper: { '^(\\.\\./(stacks|constructs|local-ledger|receipts|scripts)/.*)\\.js$': '$1' },
  // the suites spend most of their time waiting on child processes and sockets: use both cores.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/plain-summary-reporter.js'],
  testTimeout: 60000,
};
