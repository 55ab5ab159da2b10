import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const ENVIRONMENTS_DIR = join(REPO_ROOT, 'environments');

/** The names of the shipped environment files, sorted: examples, whose set a test must not fix. */
export function shippedEnvironmentNames(): string[] {
  return readdirSync(ENVIRONMENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** A private copy of the shipped environment files, for a test to change. */
export function copyEnvironments(): string {
  const dir = mkdtempSync(join(tmpdir(), 'acl-envs-'));
  cpSync(ENVIRONMENTS_DIR, dir, { recursive: true });
  return dir;
}

/** Rewrites one environment file of a copy through `change`. */
export function editEnvironment(dir: string, name: string, change: (config: any) => void): void {
  const file = join(dir, `${name}.json`);
  const config = JSON.parse(readFileSync(file, 'utf8'));
  change(config);
  writeFileSync(file, JSON.stringify(config, null, 2));
}
