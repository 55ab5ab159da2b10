/**
 * `npm run schema`: writes the JSON Schema of environment files, for editors' completion and
 * checks (`"$schema": "../stacks/environment.schema.json"`). A test keeps it in step with the zod schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCli, runCli } from '../scripts/cli/command';
import { exitCode } from '../scripts/cli/exit-codes';
import { environmentJsonSchema } from './environment-config';

export const SCHEMA_PATH = join(__dirname, 'environment.schema.json');

if (require.main === module) {
  const cli = createCli({
    name: 'schema',
    summary: 'Writes stacks/environment.schema.json, the JSON Schema of environment files, from the zod schema.',
    examples: [['npm run schema', 'rewrite stacks/environment.schema.json after changing the config schema']],
  });
  runCli(cli, () => {
    writeFileSync(SCHEMA_PATH, environmentJsonSchema());
    console.log(`wrote ${SCHEMA_PATH}`);
    return exitCode('ok');
  });
}
