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
  testTimeout: 60000,
};
