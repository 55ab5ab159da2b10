import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GEOGRAPHIES, ACL_REGIONS, REGION_DISPLAY_NAMES, normalizeRegion, pairedRegion, residencyViolations } from '../../vocabulary';
import { environmentFile } from '../helpers/environment-sets';

const REPO = join(__dirname, '..', '..');
const REGIONS_FILE = join(REPO, 'vocabulary', 'regions.ts');
const SOURCE_DIRS = ['vocabulary', 'constructs', 'stacks', 'scripts', 'local-ledger', 'receipts', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mjs|js)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** A copy of vocabulary/regions.ts with one entry added to its table, as a maintainer would. */
function regionsWithOneMoreEntry(): string {
  const source = readFileSync(REGIONS_FILE, 'utf8');
  const table = 'const ACL_REGION_TABLE = {\n';
  expect(source).toContain(table);
  const entry = "  uksouth: { displayName: 'UK South', geography: 'europe', pair: { name: 'ukwest', geography: 'europe' } },\n";
  const file = join(mkdtempSync(join(tmpdir(), 'acl-regions-')), 'regions.ts');
  writeFileSync(file, source.replace(table, table + entry));
  return file;
}

describe('regions: one table', () => {
  it('derives every fact of every ACL region from that table', () => {
    expect([...ACL_REGIONS]).toEqual([...ACL_REGIONS].sort());
    for (const region of ACL_REGIONS) {
      expect(normalizeRegion(REGION_DISPLAY_NAMES[region])).toBe(region);
      expect(pairedRegion(region)).not.toBe(region);
      expect(residencyViolations(region, GEOGRAPHIES)).toEqual([]);
    }
    // a documented pair crosses no geography but the residency rule still names it
    expect(residencyViolations('westeurope', ['united-states'])).toEqual(['westeurope', 'northeurope']);
    expect(pairedRegion('eastus')).toBe('westus');
  });

  it('adding one entry to the table gives the region every derived fact and makes environment files accept it', () => {
    const edited = regionsWithOneMoreEntry();
    jest.isolateModules(() => {
      jest.doMock('../../vocabulary/regions', () => jest.requireActual(edited));
      const vocabulary = require('../../vocabulary');
      expect(vocabulary.ACL_REGIONS).toContain('uksouth');
      expect(vocabulary.REGION_DISPLAY_NAMES.uksouth).toBe('UK South');
      expect(vocabulary.pairedRegion('uksouth')).toBe('ukwest');
      expect(vocabulary.residencyViolations('uksouth', ['europe'])).toEqual([]);

      const { environmentSchema } = require('../../stacks/environment-config');
      const parsed = environmentSchema.safeParse({ ...environmentFile('uk'), location: 'UK South' });
      expect(parsed.error?.issues).toBeUndefined();
      expect(parsed.data.location).toBe('uksouth');
    });
  });

  it('has no second table: no other source file names a region', () => {
    const names = new Set<string>();
    for (const region of ACL_REGIONS) names.add(region).add(pairedRegion(region)).add(REGION_DISPLAY_NAMES[region]);
    const quoted = new RegExp(`['"](${[...names].join('|')})['"]`);
    const offenders = SOURCE_DIRS.flatMap((d) => sourceFiles(join(REPO, d)))
      .filter((file) => file !== REGIONS_FILE && quoted.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO, file));
    expect(offenders).toEqual([]);
  });
});
