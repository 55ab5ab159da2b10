import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';
import { codeBlocks, markdownFiles, readDoc } from './markdown';

/*
 * Every shell example has its PowerShell twin right after it. PowerShell differs in two ways that
 * matter here: environment variables (`$env:NAME=value`), and the `--` before a script's own flags,
 * which npm's PowerShell shim drops in some npm releases unless it is quoted (npm/cli#3136, #9353).
 */

/** A shell line as PowerShell must say it: comment dropped, `--` quoted. */
const inPowerShell = (line: string): string =>
  line
    .replace(/\s+#.*$/, '')
    .replace(/ -- /g, " '--' ")
    .trim();
const commands = (lines: string[]): string[] => lines.map((l) => l.replace(/\s+#.*$/, '').trim()).filter((l) => l && !l.startsWith('#'));

describe('commands in the documentation', () => {
  test.each(markdownFiles().filter((file) => codeBlocks(readDoc(file)).some((b) => b.lang === 'sh')))(
    'each sh block in %s is followed by a powershell block running the same npm commands',
    (file) => {
      const blocks = codeBlocks(readDoc(file));
      blocks.forEach((block, i) => {
        if (block.lang !== 'sh') return;
        const twin = blocks[i + 1];
        expect({ after: block.lines[0], lang: twin?.lang }).toEqual({ after: block.lines[0], lang: 'powershell' });
        const expected = commands(block.lines).filter((l) => l.startsWith('npm run '));
        expect(commands(twin.lines)).toEqual(expect.arrayContaining(expected.map(inPowerShell)));
      });
    },
  );

  test('the README shows the test command .ci/run runs, with its environment, in both shells', () => {
    const ci = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8').split('\n');
    const testCommand = ci.filter((l) => l.startsWith('npm ')).at(-1);
    expect(testCommand).toBe('npm test');
    const [variable, value] = ci
      .find((l) => l.startsWith('export '))!
      .replace('export ', '')
      .split('=');
    const readme = codeBlocks(readDoc('README.md'));
    const sh = commands(readme.find((b) => b.lang === 'sh')!.lines);
    const ps = commands(readme.find((b) => b.lang === 'powershell')!.lines);
    expect(sh).toEqual(expect.arrayContaining([`export ${variable}=${value}`, testCommand]));
    expect(ps).toEqual(expect.arrayContaining([`$env:${variable}=${value}`, testCommand]));
  });

  test('the README stays a landing page (about 120 lines)', () => {
    expect(readDoc('README.md').split('\n').length).toBeLessThanOrEqual(130);
  });
});
