import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, EXIT_CODES, exitCode } from '../../scripts/cli/exit-codes';
import { SCHEMA_PATH } from '../../stacks/write-schema';
import { REPO_ROOT } from '../helpers/environments';
import { runScript, type ScriptRun } from '../helpers/run-script';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
/** Every npm script that runs one of our entry points through tsx, as package.json says. */
const ENTRY_POINTS = Object.entries(pkg.scripts)
  .filter(([, line]) => /^tsx \S+\.ts$/.test(line))
  .map(([name, line]) => ({ name, file: line.slice('tsx '.length) }));

/** Runs an entry point as `npm run` does (tsx), in an empty working folder, with fresh output folders. */
function run(file: string, args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return runScript(file, args, { cwd: env.CWD, env: { ...process.env, ...env } });
}

/** Every file below a folder with its modification time: what a command that ran would change. */
function snapshot(dir: string): Record<string, number> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((path) => [path, statSync(join(dir, path)).mtimeMs]),
  );
}

describe('every entry point', () => {
  test('package.json runs each of the commands the exit-code table knows', () => {
    expect(ENTRY_POINTS.map((e) => e.name).sort()).toEqual([...COMMANDS].sort());
  });

  const watched = [join(REPO_ROOT, 'BENCHMARKS.md'), SCHEMA_PATH];
  let results: Record<string, { help: ScriptRun; unknown: ScriptRun; cwd: string; env: Record<string, string> }>;
  let before: number[];
  beforeAll(async () => {
    before = watched.map((f) => statSync(f).mtimeMs);
    // all at once: each is a Node start-up, so the file takes as long as the slowest one.
    const runs = await Promise.all(
      ENTRY_POINTS.map(async ({ name, file }) => {
        const env = {
          CWD: mkdtempSync(join(tmpdir(), 'acl-help-cwd-')),
          CDKTF_OUTDIR: join(mkdtempSync(join(tmpdir(), 'acl-help-out-')), 'cdktf.out'),
          ACL_EVIDENCE_DIR: mkdtempSync(join(tmpdir(), 'acl-help-ev-')),
          ACL_LOCAL_LEDGER_DATA: join(mkdtempSync(join(tmpdir(), 'acl-help-ll-')), 'data'),
        };
        const [help, unknown] = await Promise.all([run(file, ['--help'], env), run(file, ['--hepl'], env)]);
        return [name, { help, unknown, cwd: env.CWD, env }] as const;
      }),
    );
    results = Object.fromEntries(runs);
  }, 300_000);

  test.each(ENTRY_POINTS.map((e) => e.name))('%s --help prints usage with examples and exits 0, and nothing else runs', (name) => {
    const { help, cwd, env } = results[name];
    expect(help.stderr).toBe('');
    expect(help.status).toBe(exitCode('ok'));
    expect(help.stdout).toMatch(/^Usage: /);
    expect(help.stdout).toContain('Examples:\n  npm ');
    expect(help.stdout).toContain(`${exitCode('usage')}   usage`);
    // nothing was written: no cdktf.out, no evidence, no local ledger, nothing in the working folder.
    expect(snapshot(cwd)).toEqual({});
    expect(snapshot(env.ACL_EVIDENCE_DIR)).toEqual({});
    for (const path of [env.CDKTF_OUTDIR, env.ACL_LOCAL_LEDGER_DATA]) expect(() => statSync(path)).toThrow(/ENOENT/);
  });

  test.each(ENTRY_POINTS.map((e) => e.name))('%s refuses an unknown flag with a suggestion and exits 2', (name) => {
    const { unknown } = results[name];
    expect(unknown.status).toBe(exitCode('usage'));
    expect(unknown.stderr).toContain("error: unknown option '--hepl'\n(Did you mean --help?)");
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    expect(unknown.stdout).toBe('');
  });

  test('bench did not rewrite BENCHMARKS.md and schema did not rewrite the schema file', () => {
    expect(watched.map((f) => statSync(f).mtimeMs)).toEqual(before);
  });
});

describe('the exit-code table', () => {
  test('names are unique, and a code means one thing for each command', () => {
    expect(new Set(EXIT_CODES.map((row) => row.name)).size).toBe(EXIT_CODES.length);
    const meanings = new Map<string, string>();
    for (const row of EXIT_CODES) {
      for (const command of row.commands) {
        const key = `${command}:${row.code}`;
        expect([key, meanings.get(key)]).toEqual([key, undefined]);
        meanings.set(key, row.name);
      }
    }
  });

  test('no script exits with a bare number', () => {
    const sources = ['scripts', 'stacks', 'local-ledger', 'bench'].flatMap((dir) =>
      readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ts'))
        .map((f) => [join(dir, f), readFileSync(join(REPO_ROOT, dir, f), 'utf8')] as const),
    );
    expect(sources.length).toBeGreaterThan(20);
    const bare = sources.filter(([, text]) => /process\.exit\(\d|exitCode\s*=\s*\d|return \d+;\s*$/m.test(text)).map(([f]) => f);
    expect(bare).toEqual([]);
  });
});
