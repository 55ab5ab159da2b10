import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CDKTF_CLI_SKIPPED, testWithCdktfCli } from '../helpers/cdktf-cli';
import { REPO_ROOT, copyEnvironments, editEnvironment, shippedEnvironmentNames } from '../helpers/environments';

const cdktf = (output: string, env: Record<string, string> = {}) =>
  spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', output], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env },
  });

describe(`npx cdktf synth${CDKTF_CLI_SKIPPED}`, () => {
  testWithCdktfCli(
    'writes a stack per environment, prod with ledger, diagnostics, vault, private endpoint, locks and role assignments',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'acl-cli-'));
      const run = cdktf(out);
      expect(run.status).toBe(0);
      expect(readdirSync(join(out, 'stacks')).sort()).toEqual(shippedEnvironmentNames().map((name) => `acl-${name}`));
      const prod = JSON.parse(readFileSync(join(out, 'stacks', 'acl-prod', 'cdk.tf.json'), 'utf8'));
      for (const type of [
        'azurerm_confidential_ledger',
        'azurerm_monitor_diagnostic_setting',
        'azurerm_key_vault',
        'azurerm_private_endpoint',
        'azurerm_management_lock',
        'azurerm_role_assignment',
      ]) {
        expect(Object.keys(prod.resource[type] ?? {}).length).toBeGreaterThan(0);
      }
    },
  );

  testWithCdktfCli('exits non-zero on a prod guardrail violation and writes no stack', () => {
    const dir = copyEnvironments();
    editEnvironment(dir, 'prod', (c) => (c.ledger.type = 'Public'));
    const out = mkdtempSync(join(tmpdir(), 'acl-cli-'));
    const run = cdktf(out, { ACL_ENVIRONMENTS_DIR: dir });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toContain('prod.json: ledger.type "Public" breaks guardrail ACL-L1');
    expect(existsSync(join(out, 'stacks'))).toBe(false);
  });
});
