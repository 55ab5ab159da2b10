import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** SHA-256 of one synthesized stack (`<outdir>/stacks/<name>/cdk.tf.json`); null when not synthesized. */
export function stackSha256(outdir: string, stack: string): string | null {
  const file = join(outdir, 'stacks', stack, 'cdk.tf.json');
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : null;
}

/** SHA-256 over every synthesized stack's hash, by name; null when nothing was synthesized. */
export function allStacksSha256(outdir: string): string | null {
  const dir = join(outdir, 'stacks');
  if (!existsSync(dir)) return null;
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) hash.update(`${name} ${stackSha256(outdir, name)}\n`);
  return hash.digest('hex');
}
