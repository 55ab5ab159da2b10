/**
 * The cdktf app: `npx cdktf synth` runs this file (see cdktf.json), and so does `npm run synth`.
 * Environment files come from `environments/`, or from `$ACL_ENVIRONMENTS_DIR` when set.
 */
import { join } from 'node:path';
import { createCli, runCli } from '../scripts/cli/command';
import { exitCode } from '../scripts/cli/exit-codes';
import { EnvironmentConfigError } from './environment-config';
import { SynthError, synthAll } from './synth';

const cli = createCli({
  name: 'synth',
  summary:
    'Synthesizes every environment file into one Terraform stack each (cdktf.out/stacks/acl-<name>/cdk.tf.json), all or nothing. Reads $ACL_ENVIRONMENTS_DIR (default environments/) and writes $CDKTF_OUTDIR (default cdktf.out/).',
  examples: [
    ['npm run synth', 'synthesize environments/*.json into cdktf.out/'],
    ['ACL_ENVIRONMENTS_DIR=my-envs CDKTF_OUTDIR=/tmp/out npm run synth', 'synthesize another set into another folder'],
    ['npx cdktf synth --hcl', 'the same through the cdktf CLI, as HCL (docs/leaving-cdktf.md)'],
  ],
});

runCli(cli, () => {
  const environmentsDir = process.env.ACL_ENVIRONMENTS_DIR ?? join(__dirname, '..', 'environments');
  const result = synthAll({ environmentsDir, outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
  for (const [name, dir] of Object.entries(result.stackDirs)) console.log(`synthesized ${name} → ${dir}`);
  return exitCode('ok');
}, [
  [EnvironmentConfigError, 'usage', 'synth refused'],
  [SynthError, 'usage', 'synth refused'],
]);
