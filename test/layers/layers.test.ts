import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, spawnLedger, stopLedger } from '../helpers/ledger-process';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
import { REPO_ROOT } from '../helpers/environments';
import { newDataDir } from '../helpers/local-ledger';

const CASES: Record<string, [file: string, source: string]> = {
  stacks: [
    'local-ledger/x.ts',
    "import { loadEnvironmentFile } from '../stacks/environment-config';\nexport const f = loadEnvironmentFile;\n",
  ],
  constructs: ['local-ledger/x.ts', "import { ConfidentialLedger } from '../constructs/ledger';\nexport const c = ConfidentialLedger;\n"],
  cdktf: ['local-ledger/x.ts', "import { App } from 'cdktf';\nexport const a = App;\n"],
  'constructs package': ['vocabulary/x.ts', "import { Construct } from 'constructs';\nexport const c = Construct;\n"],
  'receipts to constructs': ['receipts/x.ts', "import { TIERS } from '../constructs/governance';\nexport const t = TIERS;\n"],
  'dynamic import': ['local-ledger/x.ts', "export const load = () => import('../stacks/environment-config.js');\n"],
  'scripts to log': ['scripts/x.ts', "import { LogCorruptError } from '../local-ledger/log';\nexport const e = LogCorruptError;\n"],
  'smoke to tokens': [
    'scripts/smoke/x.ts',
    "import { LocalTokenCredential } from '../../local-ledger/tokens';\nexport const t = LocalTokenCredential;\n",
  ],
  'bench to ledger': ['bench/x.ts', "import { LocalLedger } from '../local-ledger/ledger';\nexport const l = LocalLedger;\n"],
  'entry point and command': [
    'scripts/x.ts',
    "import { LogCorruptError } from '../local-ledger';\nimport { runLocalLedgerCli } from '../local-ledger/cli';\nexport const x = [LogCorruptError, runLocalLedgerCli];\n",
  ],
};

/**
 * Lints every case with the repository's eslint config in one child process (eslint loads its
 * config by dynamic import, which jest's module loader does not offer): per case, the errors as
 * `<rule>: <message>`.
 */
function lintCases(): Record<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    const path = require('node:path');
    const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    (async () => {
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = {};
      for (const [name, [file, source]] of Object.entries(cases)) {
        const [result] = await eslint.lintText(source, { filePath: path.join(process.cwd(), file) });
        out[name] = result.messages.filter((m) => m.severity === 2).map((m) => m.ruleId + ': ' + m.message);
      }
      console.log(JSON.stringify(out));
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, input: JSON.stringify(CASES), encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

describe('layers, as npm run lint enforces them', () => {
  let errors: Record<string, string[]>;
  beforeAll(() => {
    errors = lintCases();
  });

  test.each(['stacks', 'constructs', 'cdktf', 'constructs package', 'receipts to constructs'])(
    'the local ledger, receipts and vocabulary/ may not import the IaC layer (%s)',
    (name) => {
      expect(errors[name]).toEqual([expect.stringMatching(/^no-restricted-imports: .*free of the IaC layer/)]);
    },
  );

  test('a dynamic import of the IaC layer from the local ledger is refused too', () => {
    expect(errors['dynamic import']).toEqual([expect.stringMatching(/^no-restricted-syntax: .*free of the IaC layer/)]);
  });

  test.each(['scripts to log', 'smoke to tokens', 'bench to ledger'])(
    'scripts and bench may not import local-ledger internals (%s)',
    (name) => {
      expect(errors[name]).toEqual([expect.stringMatching(/^no-restricted-imports: .*entry point \(local-ledger\/index\.ts\)/)]);
    },
  );

  test('scripts may import the entry point and the command', () => {
    expect(errors['entry point and command']).toEqual([]);
  });
});

describe('the local ledger loaded on its own', () => {
  test('loads no module of stacks/, constructs/, cdktf or constructs (another process, transitively)', () => {
    const probe =
      "require('./local-ledger/index.ts'); require('./local-ledger/cli.ts');" + 'console.log(JSON.stringify(Object.keys(require.cache)));';
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const loaded: string[] = JSON.parse(run.stdout);
    expect(loaded).toContain(join(REPO_ROOT, 'local-ledger', 'server.ts'));
    const iac = loaded.filter((p) =>
      /[\\/](stacks|constructs|node_modules[\\/](cdktf|constructs|@cdktf))[\\/]/.test(p.replace(REPO_ROOT, '')),
    );
    expect(iac).toEqual([]);
  });
});

describe('npm run ledger:local --environment', () => {
  const OBJECT_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  const envFile = () => {
    const env = environmentFile('seeded');
    env.ledger.principals.push({ kind: 'entra', objectId: OBJECT_ID, tenantId: env.tenantId, role: 'Reader' });
    return join(writeEnvironmentSet({ seeded: env }), 'seeded.json');
  };

  test("seeds a new ledger with the environment's principals (the project's command reads the file)", async () => {
    const ledger = await spawnLedger(newDataDir(), { script: join('scripts', 'ledger-local.ts'), args: ['--environment', envFile()] });
    try {
      const user = await adminClient(ledger.info).path('/app/users/{userId}', OBJECT_ID).get();
      expect(user.status).toBe('200');
      expect(user.body).toEqual({ assignedRole: 'Reader', userId: OBJECT_ID });
    } finally {
      await stopLedger(ledger);
    }
    // the project's command loads the environment schema (and with it cdktf) before it listens: slow on a loaded machine.
  }, 180_000);

  test('the bare emulator command says where --environment is available', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-cli-'));
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join('local-ledger', 'cli.ts'), '--data', join(dir, 'data'), '--environment', envFile()],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^ledger:local: --environment needs the project's command: npm run ledger:local -- --environment <file>/);
  });
});
