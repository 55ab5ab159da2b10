import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { synthAll } from '../../stacks/synth';
import { CDKTF_CLI_SKIPPED, testWithCdktfCli } from '../helpers/cdktf-cli';
import { REPO_ROOT } from '../helpers/environments';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';

/*
 * Local state, `.terraform/` and the provider lock file must survive every way of synthesizing:
 * `npm run synth`, `npm start`, `npx cdktf synth`, a refused synth, and synthAll itself.
 */

const bin = (name: string) => join(REPO_ROOT, 'node_modules', '.bin', name);
const withoutBackend = (name: string) => {
  const env = environmentFile(name);
  delete env.backend;
  return env;
};

/** A project folder with cdktf.out/ and state/ beside it, a synthesized stack and planted Terraform files. */
function plantedProject(environmentsDir: string) {
  const project = mkdtempSync(join(tmpdir(), 'acl-state-'));
  const outdir = join(project, 'cdktf.out');
  synthAll({ environmentsDir, outdir });
  const stackDir = join(outdir, 'stacks', 'acl-a');
  const planted: Record<string, string> = {
    [join(project, 'state', 'acl-a.tfstate')]: '{"version":4,"serial":7}',
    [join(stackDir, '.terraform', 'providers', 'marker')]: 'provider plugin',
    [join(stackDir, '.terraform.lock.hcl')]: '# provider lock',
    [join(stackDir, 'terraform.acl-a.tfstate')]: '{"version":4,"serial":3}',
  };
  for (const [file, text] of Object.entries(planted)) {
    mkdirSync(resolve(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
  return { project, outdir, stackDir, planted };
}

function expectSurvived(planted: Record<string, string>): void {
  for (const [file, text] of Object.entries(planted)) expect([file, existsSync(file) && readFileSync(file, 'utf8')]).toEqual([file, text]);
}

describe('local state and Terraform working files survive every synth path', () => {
  const good = writeEnvironmentSet({ a: withoutBackend('a'), b: withoutBackend('b') });
  const refused = writeEnvironmentSet({ a: { ...withoutBackend('a'), location: 'westus' } });

  test('the local backend points at state/<stack>.tfstate beside cdktf.out, outside every synthesized folder', () => {
    const { stackDir, project } = plantedProject(good);
    const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
    expect(json.terraform.backend).toEqual({ local: { path: '../../../state/acl-a.tfstate' } });
    expect(resolve(stackDir, json.terraform.backend.local.path)).toBe(join(project, 'state', 'acl-a.tfstate'));
  });

  test('synthAll, twice', () => {
    const { outdir, planted } = plantedProject(good);
    synthAll({ environmentsDir: good, outdir });
    synthAll({ environmentsDir: good, outdir });
    expectSurvived(planted);
  });

  const synthCommands: [string, (outdir: string, environmentsDir: string) => ReturnType<typeof spawnSync>][] = [
    [
      'npm run synth',
      (outdir, dir) =>
        spawnSync(bin('tsx'), ['stacks/main.ts'], {
          cwd: REPO_ROOT,
          env: { ...process.env, CDKTF_OUTDIR: outdir, ACL_ENVIRONMENTS_DIR: dir },
        }),
    ],
    [
      'npx cdktf synth',
      (outdir, dir) =>
        spawnSync(bin('cdktf'), ['synth', '--output', outdir], {
          cwd: REPO_ROOT,
          env: { ...process.env, CHECKPOINT_DISABLE: '1', ACL_ENVIRONMENTS_DIR: dir },
        }),
    ],
  ];
  for (const [name, command] of synthCommands) {
    const cli = name.includes('cdktf');
    (cli ? testWithCdktfCli : test)(`${name}, and the same command refused${cli ? CDKTF_CLI_SKIPPED : ''}`, () => {
      const { outdir, planted } = plantedProject(good);
      expect(command(outdir, good).status).toBe(0);
      expectSurvived(planted);
      expect(command(outdir, refused).status).not.toBe(0);
      expectSurvived(planted);
    });
  }

  test('npm start, and npm start refused', () => {
    const { outdir, planted, project } = plantedProject(good);
    const start = (dir: string) =>
      spawnSync(bin('tsx'), ['scripts/start.ts'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDKTF_OUTDIR: outdir,
          ACL_ENVIRONMENTS_DIR: dir,
          ACL_EVIDENCE_DIR: join(project, 'evidence'),
          ACL_LOCAL_LEDGER_DATA: join(project, 'ledger'),
        },
      });
    expect(start(good).status).toBe(0);
    expectSurvived(planted);
    const refusedRun = start(refused);
    expect(refusedRun.stderr).toContain('synth refused');
    expectSurvived(planted);
  });

  test('a stack that is no longer synthesized takes its working files with it; others keep theirs', () => {
    const { outdir, planted, project } = plantedProject(good);
    const bOnly = writeEnvironmentSet({ b: withoutBackend('b') });
    synthAll({ environmentsDir: bOnly, outdir });
    expect(existsSync(join(outdir, 'stacks', 'acl-a'))).toBe(false);
    // state lives outside cdktf.out, so even a removed environment's state stays.
    expect(readFileSync(join(project, 'state', 'acl-a.tfstate'), 'utf8')).toBe(planted[join(project, 'state', 'acl-a.tfstate')]);
  });
});
