/**
 * `npm run schema`: writes the JSON Schema of environment files, for editors' completion and
 * checks (`"$schema": "../stacks/environment.schema.json"`). A test keeps it in step with the zod schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentJsonSchema } from './environment-config';

export const SCHEMA_PATH = join(__dirname, 'environment.schema.json');

if (require.main === module) {
  writeFileSync(SCHEMA_PATH, environmentJsonSchema());
  console.log(`wrote ${SCHEMA_PATH}`);
}
