/**
 * The cdktf app: `npx cdktf synth` runs this file (see cdktf.json), and so does `npm run synth`.
 * Environment files come from `environments/`, or from `$ACL_ENVIRONMENTS_DIR` when set.
 */
import { join } from 'node:path';
import { EnvironmentConfigError } from './environment-config';
import { SynthError, synthAll } from './synth';

const environmentsDir = process.env.ACL_ENVIRONMENTS_DIR ?? join(__dirname, '..', 'environments');
const outdir = process.env.CDKTF_OUTDIR ?? 'cdktf.out';

try {
  const result = synthAll({ environmentsDir, outdir });
  for (const [name, dir] of Object.entries(result.stackDirs)) console.log(`synthesized ${name} → ${dir}`);
} catch (error) {
  if (error instanceof EnvironmentConfigError || error instanceof SynthError) {
    console.error(`synth refused:\n${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
