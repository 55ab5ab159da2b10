import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';

/*
 * A Windows checkout (core.autocrlf=true, git's default there) must hold the same bytes as the
 * Linux checkout `npm test` checks: `.gitattributes` asks for LF. This checks out the working
 * tree as it is (committed or not) with core.autocrlf=true and looks at the files themselves.
 */

const git = (cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string =>
  execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const PRETTIER = join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
const prettierCheck = (cwd: string, files: string[]): SpawnSyncReturns<string> =>
  spawnSync(process.execPath, [PRETTIER, '--check', ...files], { cwd, encoding: 'utf8' });

/** The working tree as a commit in a throwaway index: HEAD, the index and the tree stay untouched. */
function commitWorkingTree(scratch: string): string {
  const env = {
    ...process.env,
    GIT_INDEX_FILE: join(scratch, 'index'),
    GIT_AUTHOR_NAME: 'line-endings test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'line-endings test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
  };
  git(REPO_ROOT, ['read-tree', 'HEAD'], env);
  git(REPO_ROOT, ['add', '--all'], env);
  const tree = git(REPO_ROOT, ['write-tree'], env);
  return git(REPO_ROOT, ['commit-tree', tree, '-m', 'working tree for the line-endings test'], env);
}

/** A fresh repository that borrows this one's objects and checks `commit` out the Windows way. */
function windowsCheckout(scratch: string, commit: string): string {
  const dir = join(scratch, 'checkout');
  git(scratch, ['init', '--quiet', dir]);
  const objects = join(git(REPO_ROOT, ['rev-parse', '--path-format=absolute', '--git-common-dir']), 'objects');
  writeFileSync(join(dir, '.git', 'objects', 'info', 'alternates'), `${objects}\n`);
  git(dir, ['config', 'core.autocrlf', 'true']);
  git(dir, ['checkout', '--quiet', '--detach', commit]);
  return dir;
}

/** Files git treats as text (`git ls-files --eol`: the index side is not `-text`). */
function textFiles(dir: string): string[] {
  return git(dir, ['ls-files', '--eol'])
    .split('\n')
    .filter((line) => !line.startsWith('i/-text'))
    .map((line) => line.split('\t')[1]);
}

const withCr = (dir: string, files: string[]): string[] => files.filter((f) => readFileSync(join(dir, f)).includes(0x0d));

describe('a checkout with core.autocrlf=true (Windows)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'acl-crlf-'));
  let checkout: string;
  let files: string[];
  beforeAll(() => {
    checkout = windowsCheckout(scratch, commitWorkingTree(scratch));
    files = textFiles(checkout);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  test('holds the files that matter, and none of them has a CR', () => {
    for (const kind of [/\.ts$/, /\.json$/, /\.ya?ml$/, /\.pem$/, /\.md$/, /^\.ci\/run$/, /^\.gitattributes$/])
      expect(files.filter((f) => kind.test(f)).length).toBeGreaterThan(0);
    expect(withCr(checkout, files)).toEqual([]);
  });

  test('.ci/run keeps a shebang bash can run, and its executable bit', () => {
    expect(readFileSync(join(checkout, '.ci/run'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env bash');
    expect(git(checkout, ['ls-files', '--stage', '.ci/run'])).toMatch(/^100755 /);
  });

  test("passes prettier's check (endOfLine lf); eslint has no line-ending rule of its own", () => {
    const result = prettierCheck(checkout, ['.']);
    expect(result.stderr + result.stdout).toContain('All matched files use Prettier code style!');
    expect(result.status).toBe(0);
  });

  test('without the LF rule the same checkout gets CRLF, which prettier refuses (the check above can fail)', () => {
    // .git/info/attributes outranks .gitattributes: plain `text` lets core.autocrlf=true decide.
    writeFileSync(join(checkout, '.git', 'info', 'attributes'), '* text !eol\n');
    const sample = ['.ci/run', 'package.json', 'stacks/synth.ts', 'test/fixtures/certs/alice.pem', 'README.md'];
    for (const f of sample) rmSync(join(checkout, f));
    git(checkout, ['checkout', '--', ...sample]);
    expect(withCr(checkout, sample)).toEqual(sample);
    const result = prettierCheck(checkout, ['stacks/synth.ts']);
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toContain('stacks/synth.ts');
  });
});
