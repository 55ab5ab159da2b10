import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeEnvironmentGraph, writeEnvironmentSet, environmentFile } from '../helpers/environment-sets';
import { REPO_ROOT } from '../helpers/environments';

const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const environments = (args: string[]) =>
  spawnSync(tsx, [join(REPO_ROOT, 'scripts', 'environments.ts'), ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('npm run environments', () => {
  test('--json on a fan-out to two prod regions: promotion order, graph, waves and pipeline identities (the shared contract)', () => {
    const dir = writeEnvironmentGraph({ dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] });
    const listed = environments(['--json', '--environments-dir', dir]);
    expect([listed.status, listed.stderr]).toEqual([0, '']);
    const { environments: envs, waves } = JSON.parse(listed.stdout);
    expect(waves).toEqual([['dev'], ['test'], ['prod-neu', 'prod-weu']]);
    expect(envs.map((e: any) => [e.name, e.promotesFrom, e.wave])).toEqual([
      ['dev', [], 0],
      ['test', ['dev'], 1],
      ['prod-neu', ['test'], 2],
      ['prod-weu', ['test'], 2],
    ]);
    expect(envs[3]).toEqual({
      name: 'prod-weu',
      file: relative(REPO_ROOT, join(dir, 'prod-weu.json')),
      stack: 'acl-prod-weu',
      promotesFrom: ['test'],
      wave: 2,
      strict: true,
      github: { planEnvironment: 'prod-weu-plan', deployEnvironment: 'prod-weu' },
      azureDevOps: { planServiceConnection: 'acl-prod-weu-plan', deployServiceConnection: 'acl-prod-weu', environment: 'acl-prod-weu' },
    });
  });

  test('--json on a staging between test and prod; strictness comes from the tier, never from the name', () => {
    const dir = writeEnvironmentSet({
      dev: environmentFile('dev', 'dev'),
      test: environmentFile('test', 'test', ['dev']),
      staging: environmentFile('staging', 'prod', ['test']),
      prod: environmentFile('prod', 'test', ['staging']),
    });
    const { environments: envs, waves } = JSON.parse(environments(['--json', '--environments-dir', dir]).stdout);
    expect(waves).toEqual([['dev'], ['test'], ['staging'], ['prod']]);
    expect(envs.map((e: any) => [e.name, e.strict])).toEqual([
      ['dev', false],
      ['test', false],
      ['staging', true],
      ['prod', false],
    ]);
  });

  test("an environment named '<other>-plan' is refused: it would take the other's read-only plan identity as its deploy identity", () => {
    const dir = writeEnvironmentGraph({ dev: [], 'dev-plan': ['dev'] });
    const listed = environments(['--json', '--environments-dir', dir]);
    expect(listed.status).toBe(2);
    expect(listed.stdout).toBe('');
    expect(listed.stderr).toContain(
      `${relative(REPO_ROOT, join(dir, 'dev-plan.json'))}: the name 'dev-plan' is the plan identity of environment 'dev'`,
    );
  });

  test('without --json: a table in promotion order and the waves', () => {
    const dir = writeEnvironmentGraph({ dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] });
    const listed = environments(['--environments-dir', dir]);
    expect(listed.status).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^wave\s+environment\s+promoted from\s+strict\s+stack\s+file$/);
    expect(lines.slice(2, 6).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['0', 'dev', '(first)'],
      ['1', 'test', 'dev'],
      ['2', 'prod-neu', 'test'],
      ['2', 'prod-weu', 'test'],
    ]);
    expect(listed.stdout).toContain('waves: dev → test → prod-neu + prod-weu');
  });

  test('--write-azure-devops <file> writes the parameter file, and says when it is unchanged', () => {
    const dir = writeEnvironmentGraph({ dev: [], prod: ['dev'] });
    const file = join(mkdtempSync(join(tmpdir(), 'acl-ado-')), 'environments.yml');
    const first = environments(['--write-azure-devops', file, '--environments-dir', dir]);
    expect([first.status, first.stdout.trim()]).toEqual([0, `wrote ${file} (2 environments)`]);
    expect(readFileSync(file, 'utf8')).toMatch(/^# GENERATED from environments\/ by `npm run environments -- --write-azure-devops`/);
    expect(environments(['--write-azure-devops', file, '--environments-dir', dir]).stdout.trim()).toBe(
      `unchanged ${file} (2 environments)`,
    );
  });

  test('an invalid graph: exit 2 naming file and JSON path, no stack trace', () => {
    const dir = writeEnvironmentGraph({ dev: [], staging: ['tst'] });
    const refused = environments(['--json', '--environments-dir', dir]);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      /^environments refused:\n.*staging\.json: promotesFrom\[0\]: 'tst' is not an environment \(known: dev\)\n$/,
    );
    expect(refused.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test('bad usage: exit 2 with the usage', () => {
    const refused = environments(['--jsn']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/unknown option '--jsn'[\s\S]*Did you mean --json\?/);
  });
});
