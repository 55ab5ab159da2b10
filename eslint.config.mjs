import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const PROVIDER_BARREL = {
  name: '@cdktf/provider-azurerm',
  message: 'Import provider classes by deep path (@cdktf/provider-azurerm/lib/<resource>): the barrel makes synth several times slower.',
};
const IAC_LAYER = {
  group: ['**/stacks', '**/stacks/**', '**/constructs', '**/constructs/**', 'constructs', 'cdktf', 'cdktf/**', '@cdktf/**'],
  message: 'The local ledger, receipts and vocabulary/ are free of the IaC layer: move a shared vocabulary to vocabulary/.',
};
/** the same sources as IAC_LAYER, for dynamic import(). */
const IAC_SOURCE = '/(^|\\/)(stacks|constructs)(\\/|$)|^cdktf($|\\/)|^@cdktf\\//';
const LOCAL_LEDGER_INTERNALS = {
  group: ['**/local-ledger/*', '!**/local-ledger/index', '!**/local-ledger/cli'],
  message: "Use the local ledger's entry point (local-ledger/index.ts); add what you need to its exports.",
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'cdktf.out/', 'state/', '.gen/', 'coverage/', 'evidence/', '.local-ledger/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', __dirname: 'readonly', module: 'writable', require: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [PROVIDER_BARREL] }],
    },
  },
  // Layers (docs/layers.md): a later block replaces the rule above for its files, so each repeats the barrel.
  {
    // the emulator of Azure and the shared vocabularies never load the IaC layer or its framework.
    files: ['local-ledger/**/*.ts', 'vocabulary/**/*.ts', 'receipts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [PROVIDER_BARREL], patterns: [IAC_LAYER] }],
      'no-restricted-syntax': ['error', { selector: `ImportExpression[source.value=${IAC_SOURCE}]`, message: IAC_LAYER.message }],
    },
  },
  {
    // scripts and bench use the local ledger through its entry point (index.ts) and its command (cli.ts) only.
    files: ['scripts/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [PROVIDER_BARREL], patterns: [LOCAL_LEDGER_INTERNALS] }] },
  },
  {
    // tests read synthesized JSON, whose shape is Terraform's, not a TypeScript type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
