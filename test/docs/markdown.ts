import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';

/** Folders that hold generated or installed files, never documentation of this repository. */
const NOT_DOCS = new Set([
  'node_modules',
  '.git',
  'cdktf.out',
  'evidence',
  '.local-ledger',
  'dist',
  'coverage',
  'state',
  '.gen',
  'fixtures',
]);

/** Every Markdown file of the repository, relative to its root. */
export function markdownFiles(dir = REPO_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return NOT_DOCS.has(entry.name) ? [] : markdownFiles(join(dir, entry.name));
    return entry.name.endsWith('.md') ? [relative(REPO_ROOT, join(dir, entry.name))] : [];
  });
}

export const readDoc = (file: string): string => readFileSync(join(REPO_ROOT, file), 'utf8');
export const docExists = (file: string): boolean => existsSync(join(REPO_ROOT, file));

/** Fenced code blocks with their info string, in order. */
export function codeBlocks(text: string): { lang: string; lines: string[] }[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], lines: m[2].replace(/\n$/, '').split('\n') }));
}
