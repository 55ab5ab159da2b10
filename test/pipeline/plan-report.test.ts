import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCheck, type PlanCheckOptions } from '../../scripts/plan-report';
import { PLAN_EXIT_CODES, PlanReportError, readPlanReport } from '../../scripts/pipeline/plan-report';
import { REPO_ROOT } from '../helpers/environments';

/*
 * The plan reader on plan JSON written from Terraform's documented format (test/fixtures/plans/),
 * in-process for the details and through `npm run plan-report` in another process for the exit
 * codes, the summary file and the annotations a pipeline sees.
 */

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'plans');
const fixture = (name: string) => join(FIXTURES, `${name}.json`);
const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const LEDGER = 'azurerm_confidential_ledger.Ledger_B7379752';
const VAULT = 'azurerm_key_vault.KeyVault_EBBC7C6F';
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

/** planCheck outside any CI, printing into an array. */
function check(planJson: string, overrides: Partial<PlanCheckOptions> = {}) {
  const lines: string[] = [];
  const summaryFile = join(tmp('acl-summary-'), 'summary.md');
  const result = planCheck({
    planJson,
    environment: 'dev',
    summaryFile,
    evidenceDir: tmp('acl-ev-'),
    runId: 'run-1',
    commit: 'c0ffee',
    print: (line) => lines.push(line),
    ...overrides,
  });
  return { ...result, output: lines.join('\n'), summary: readFileSync(summaryFile, 'utf8') };
}

function cli(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const key of ['GITHUB_ACTIONS', 'TF_BUILD', 'GITHUB_STEP_SUMMARY']) delete clean[key];
  return spawnSync(tsx, [join(REPO_ROOT, 'scripts', 'plan-report.ts'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...clean, ...env },
  });
}

describe('plan-report on documented plan JSON', () => {
  test('no changes: exit 0, says so, lists nothing', () => {
    const result = check(fixture('no-changes'));
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.noChanges);
    expect(result.summary).toMatch(/^### Plan for `dev`: no changes · no drift/);
    // a data source read and no-ops are not changes.
    expect(result.report.changes).toEqual([]);
    expect(result.summary).not.toContain('DATA LOSS');
  });

  test('create, update, replace (both orders), delete, import and move: each named, none refused', () => {
    const result = check(fixture('changes'));
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.changes);
    expect(result.refused).toEqual([]);
    expect(result.report.changes.map((i) => [i.kind, i.address.split('.')[0]])).toEqual([
      ['create', 'azurerm_role_assignment'],
      ['update', 'azurerm_confidential_ledger'],
      ['replace', 'azurerm_monitor_diagnostic_setting'],
      ['replace', 'azurerm_monitor_action_group'],
      ['delete', 'azurerm_monitor_activity_log_alert'],
      ['import', 'azurerm_log_analytics_workspace'],
      ['move', 'azurerm_monitor_activity_log_alert'],
    ]);
    expect(result.summary).toContain('1 to create, 1 to update, 2 to replace, 1 to delete, 1 to import, 1 to move · no drift');
    expect(result.summary).toContain(
      '| REPLACE (delete and create) | `azurerm_monitor_diagnostic_setting.Ledger_Diagnostics-logs_0A0E54ED` | the provider cannot update it in place; forced by `target_resource_id` |',
    );
    expect(result.summary).toContain('moved from `azurerm_monitor_activity_log_alert.Alerts_LedgerWrite_11111111`');
    // a ledger updated in place loses nothing: flagged as a data resource, not refused.
    expect(result.summary).toContain(`| update in place ⚠️ | \`${LEDGER}\` |  |`);
    expect(result.summary).not.toContain('DATA LOSS');
  });

  test('drift: the resources changed or deleted outside Terraform are listed apart from the plan', () => {
    const result = check(fixture('drift'));
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.changes);
    expect(result.report.drift.map((i) => [i.address, i.kind])).toEqual([
      [LEDGER, 'update'],
      [VAULT, 'update'],
      ['azurerm_role_assignment.Ledger_RoleAssignment-platform-operators_73E7C572', 'delete'],
    ]);
    const drift = result.summary.split('#### Changed outside Terraform (drift)')[1].split('#### Planned changes')[0];
    expect(drift).toContain(`| changed outside Terraform ⚠️ | \`${LEDGER}\` |`);
    expect(drift).toContain('| deleted outside Terraform | `azurerm_role_assignment.Ledger_RoleAssignment-platform-operators_73E7C572` |');
    expect(result.summary).toMatch(/: 1 to create, 2 to update · 3 drifted/);
  });

  test('drift alone, with a plan that changes nothing, still fails the check', () => {
    const plan = JSON.parse(readFileSync(fixture('drift'), 'utf8'));
    plan.resource_changes = plan.resource_changes.map((c: any) => ({ ...c, change: { ...c.change, actions: ['no-op'] } }));
    const file = join(tmp('acl-plan-'), 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    expect(check(file).exitCode).toBe(PLAN_EXIT_CODES.changes);
  });

  test.each([
    [
      'replace-ledger',
      LEDGER,
      'confidential ledger',
      'REPLACE (delete and create), because the provider cannot update it in place; forced by `ledger_type`',
    ],
    [
      'replace-vault',
      VAULT,
      'key vault',
      'REPLACE (delete and create), because the provider cannot update it in place; forced by `location`',
    ],
    ['delete-vault', VAULT, 'key vault', 'DELETE, because it is no longer in the stack'],
  ])('%s: refused as DATA LOSS, naming the address, nothing recorded', (name, address, holds, words) => {
    const evidenceDir = tmp('acl-ev-');
    const result = check(fixture(name), { evidenceDir });
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.replacementRefused);
    expect(result.refused).toEqual([address]);
    expect(result.summary).toContain('**DATA LOSS, REFUSED**');
    expect(result.summary).toContain(`- \`${address}\` (${holds}): ${words}`);
    expect(result.output).toContain(`error: data loss refused: the plan in dev would delete or replace ${address} (${holds}`);
    expect(readdirSync(evidenceDir)).toEqual([]);
  });

  test('an override naming the address and a reason lets it through, and is recorded with the plan hash', () => {
    const evidenceDir = tmp('acl-ev-');
    const reason = 'CHG-1234: ledger type changes, data exported to the archive first';
    const result = check(fixture('replace-ledger'), { evidenceDir, override: { addresses: [LEDGER], reason } });
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.changes);
    expect(result.refused).toEqual([]);
    const record = JSON.parse(readFileSync(result.overrideRecord!, 'utf8'));
    expect(result.overrideRecord!.startsWith(join(evidenceDir, 'dev', 'replacement-override-run-1-'))).toBe(true);
    expect(record).toMatchObject({
      schema: 'acl-stack/replacement-override/v1',
      environment: 'dev',
      addresses: [LEDGER],
      reason,
      planSha256: result.report.sha256,
      commit: 'c0ffee',
      runId: 'run-1',
    });
    expect(result.report.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.summary).toContain(`**DATA LOSS, ALLOWED BY OVERRIDE** (reason: "${reason}", recorded in \`${result.overrideRecord}\`)`);
    expect(result.output).toContain('warning: data loss allowed by override');
  });

  test('an override must name every data-losing address, and only those', () => {
    const both = join(tmp('acl-plan-'), 'plan.json');
    const plan = JSON.parse(readFileSync(fixture('replace-ledger'), 'utf8'));
    plan.resource_changes.push(JSON.parse(readFileSync(fixture('delete-vault'), 'utf8')).resource_changes[0]);
    writeFileSync(both, JSON.stringify(plan));
    const partial = check(both, { override: { addresses: [LEDGER], reason: 'only the ledger' } });
    expect(partial.exitCode).toBe(PLAN_EXIT_CODES.replacementRefused);
    expect(partial.refused).toEqual([VAULT]);
    expect(() => check(both, { override: { addresses: [LEDGER, 'azurerm_key_vault.Typo'], reason: 'x' } })).toThrow(
      new PlanReportError(
        `--allow-replace names 'azurerm_key_vault.Typo', which this plan does not delete or replace (it does: ${LEDGER}, ${VAULT})`,
      ),
    );
    expect(() => check(fixture('changes'), { override: { addresses: [LEDGER], reason: 'x' } })).toThrow(
      /which this plan does not delete or replace \(it deletes or replaces no ledger or key vault\)/,
    );
    expect(() => check(both, { override: { addresses: [LEDGER, VAULT], reason: '  ' } })).toThrow(/--override-reason is required/);
  });

  test('a data source of a guarded type being read is not data loss', () => {
    const plan = JSON.parse(readFileSync(fixture('no-changes'), 'utf8'));
    plan.resource_changes.push({
      address: 'data.azurerm_key_vault.hub',
      mode: 'data',
      type: 'azurerm_key_vault',
      name: 'hub',
      change: { actions: ['delete'] },
    });
    const file = join(tmp('acl-plan-'), 'plan.json');
    writeFileSync(file, JSON.stringify(plan));
    expect(readPlanReport(file).dataLoss).toEqual([]);
  });

  test.each<[string, (dir: string) => string, RegExp]>([
    ['malformed (cut off)', () => fixture('malformed'), /malformed\.json is not JSON \(.*\); make it with: terraform show -json tfplan > /],
    ['missing', (dir) => join(dir, 'nope.json'), /cannot read the plan JSON .*nope\.json: ENOENT/],
    [
      'a binary plan file',
      (dir) => (writeFileSync(join(dir, 'tfplan'), Buffer.from('PK\x03\x04binary')), join(dir, 'tfplan')),
      /tfplan is a binary plan file, not its JSON/,
    ],
    [
      'terraform state',
      (dir) => (writeFileSync(join(dir, 's.json'), JSON.stringify({ format_version: '1.0', values: {} })), join(dir, 's.json')),
      /s\.json is Terraform state, not a plan/,
    ],
    [
      'a change without actions',
      (dir) => (
        writeFileSync(
          join(dir, 'p.json'),
          JSON.stringify({ format_version: '1.2', resource_changes: [{ address: 'a.b', type: 'a', change: {} }] }),
        ),
        join(dir, 'p.json')
      ),
      /p\.json is not a terraform plan in the JSON output format:\n {2}resource_changes\[0\]\.change\.actions: /,
    ],
    [
      'an unsupported major format version',
      (dir) => (writeFileSync(join(dir, 'v2.json'), JSON.stringify({ format_version: '2.0', resource_changes: [] })), join(dir, 'v2.json')),
      /v2\.json has format_version 2\.0; this reader knows major version 1 only/,
    ],
  ])('%s: a clear error naming the file', (_name, make, message) => {
    expect(() => readPlanReport(make(tmp('acl-bad-')))).toThrow(message);
  });

  test('unknown properties and unknown future actions are tolerated, and an unknown action counts as a change', () => {
    const file = join(tmp('acl-plan-'), 'plan.json');
    writeFileSync(
      file,
      JSON.stringify({
        format_version: '1.9',
        future: true,
        resource_changes: [{ address: 'x.y', type: 'x', change: { actions: ['teleport'], extra: 1 } }],
      }),
    );
    const result = check(file);
    expect(result.exitCode).toBe(PLAN_EXIT_CODES.changes);
    expect(result.summary).toContain('| other | `x.y` | actions teleport |');
  });

  test('a resource address with Markdown in it cannot break the summary table', () => {
    const file = join(tmp('acl-plan-'), 'plan.json');
    const address = 'azurerm_role_assignment.x["a|b`c"]';
    writeFileSync(
      file,
      JSON.stringify({
        format_version: '1.2',
        resource_changes: [{ address, type: 'azurerm_role_assignment', change: { actions: ['create'] } }],
      }),
    );
    expect(check(file).summary).toContain('| create | `azurerm_role_assignment.x["a\\|b\'c"]` |  |');
  });
});

describe('npm run plan-report in another process', () => {
  test('exit codes 0, 5, 6 and 2 for no changes, changes, refused data loss and a malformed plan', () => {
    expect(cli(['--plan-json', fixture('no-changes')]).status).toBe(0);
    expect(cli(['--plan-json', fixture('drift')]).status).toBe(5);
    const refused = cli(['--plan-json', fixture('delete-vault'), '--env', 'prod']);
    expect(refused.status).toBe(6);
    expect(refused.stdout).toContain(`error: data loss refused: the plan in prod would delete or replace ${VAULT} (key vault, delete)`);
    const malformed = cli(['--plan-json', fixture('malformed')]);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/^plan-report refused:\n.*malformed\.json is not JSON/);
    expect(malformed.stderr).not.toMatch(/\n\s+at /);
  });

  test('on GitHub: the summary goes to $GITHUB_STEP_SUMMARY and the refusal is a ::error annotation', () => {
    const summary = join(tmp('acl-gh-'), 'step-summary.md');
    writeFileSync(summary, '### earlier step\n');
    const result = cli(['--plan-json', fixture('replace-ledger'), '--env', 'prod'], {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(result.status).toBe(6);
    expect(result.stdout.split('\n')).toContainEqual(
      `::error title=data loss refused::the plan in prod would delete or replace ${LEDGER} (confidential ledger, replace); nothing applied. Override with --allow-replace <address> --override-reason "<why>".`,
    );
    const written = readFileSync(summary, 'utf8');
    expect(written.startsWith('### earlier step\n### Plan for `prod`')).toBe(true);
    expect(written).toContain('**DATA LOSS, REFUSED**');
  });

  test('on Azure Pipelines: ##vso logissue and an uploaded summary file', () => {
    const agentTemp = tmp('acl-ado-');
    const result = cli(['--plan-json', fixture('replace-vault'), '--env', 'test'], { TF_BUILD: 'True', AGENT_TEMPDIRECTORY: agentTemp });
    expect(result.status).toBe(6);
    expect(result.stdout).toMatch(/^##vso\[task\.logissue type=error\]data loss refused: the plan in test would delete or replace /m);
    const upload = /^##vso\[task\.uploadsummary\](.*)$/m.exec(result.stdout);
    expect(upload?.[1].startsWith(agentTemp)).toBe(true);
    expect(readFileSync(upload![1], 'utf8')).toContain(`- \`${VAULT}\` (key vault): REPLACE`);
  });

  test('an --evidence-dir or --summary that cannot be written is a mistake in that flag (exit 2), not an unexpected error', () => {
    const aFile = join(tmp('acl-ev-file-'), 'not-a-dir');
    writeFileSync(aFile, 'x');
    const override = ['--allow-replace', LEDGER, '--override-reason', 'CHG-1'];
    const evidence = cli(['--plan-json', fixture('replace-ledger'), '--env', 'dev', ...override, '--evidence-dir', aFile]);
    expect(evidence.status).toBe(2);
    expect(evidence.stderr).toMatch(/^plan-report refused:\s+--evidence-dir .*not-a-dir: cannot write there \(ENOTDIR\)\n$/);
    const summary = cli(['--plan-json', fixture('no-changes'), '--summary', tmp('acl-summary-dir-')]);
    expect(summary.status).toBe(2);
    expect(summary.stderr).toMatch(/^plan-report refused:\s+--summary .*: cannot write there \(EISDIR\)\n$/);
  });

  test('flags: an override needs a reason and --env, a reason needs an address', () => {
    const noReason = cli(['--plan-json', fixture('replace-ledger'), '--allow-replace', LEDGER]);
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toContain('--allow-replace needs --override-reason "<why>" (it is recorded)');
    expect(cli(['--plan-json', fixture('replace-ledger'), '--override-reason', 'why']).stderr).toContain(
      '--override-reason goes with --allow-replace <address>',
    );
    const noEnv = cli(['--plan-json', fixture('replace-ledger'), '--allow-replace', LEDGER, '--override-reason', 'why']);
    expect(noEnv.status).toBe(2);
    expect(noEnv.stderr).toContain('--allow-replace needs --env');
    expect(cli([]).stderr).toContain("required option '--plan-json <file>' not specified");
  });
});
