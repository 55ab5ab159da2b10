import { statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';
import { docExists, markdownFiles, readDoc } from './markdown';

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Prose only: fenced blocks and inline code hold examples, not links. */
const prose = (text: string): string => text.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(readDoc(file)).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** The relative link targets of a document: `[text](target)` and `[label]: target`. */
function relativeLinks(file: string): string[] {
  const text = prose(readDoc(file));
  const inline = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]);
  return [...inline, ...references].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** What is wrong with one link, or nothing. */
function brokenLink(file: string, target: string): string | undefined {
  const [path, anchor] = target.split('#', 2);
  const resolved = path ? normalize(join(dirname(file), decodeURIComponent(path))) : file;
  if (resolved.startsWith('..')) return 'points outside the repository';
  if (!docExists(resolved)) return `${resolved} does not exist`;
  if (anchor === undefined) return undefined;
  if (!resolved.endsWith('.md') || statSync(join(REPO_ROOT, resolved)).isDirectory())
    return `an anchor into ${resolved}, which has no headings`;
  return anchors(resolved).has(anchor) ? undefined : `${resolved} has no heading for #${anchor}`;
}

describe('links in the documentation', () => {
  const files = markdownFiles();

  test('the documents include the README and docs/', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/local-ledger-integrity.md']));
  });

  test.each(markdownFiles())('every relative link in %s resolves to a file and heading', (file) => {
    const broken = relativeLinks(file).flatMap((target) => {
      const problem = brokenLink(file, target);
      return problem ? [`${target}: ${problem}`] : [];
    });
    expect(broken).toEqual([]);
  });

  test('the checker finds a missing file, a missing heading and a good link', () => {
    expect(relativeLinks('README.md')).toEqual(expect.arrayContaining(['docs/configuration.md', 'test/stacks/synth.test.ts']));
    expect(brokenLink('README.md', 'docs/nope.md')).toBe('docs/nope.md does not exist');
    expect(brokenLink('README.md', 'docs/guardrails.md#no-such-heading')).toBe('docs/guardrails.md has no heading for #no-such-heading');
    expect(brokenLink('docs/configuration.md', 'landing-zone.md#checks-across-environment-files')).toBeUndefined();
    expect(brokenLink('docs/guardrails.md', '#suppressing-a-rule')).toBeUndefined();
    expect(slug("cdktf's archival and `CDK` Terrain")).toBe('cdktfs-archival-and-cdk-terrain');
  });
});
