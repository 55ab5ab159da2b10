import { join } from 'node:path';
import { describeProblem, type ArchiveProblem, type Manifest } from './archive';
import { ARCHIVE_FILES, replaceFile } from './files';

/** SUMMARY.md: what an auditor reads first, and how to check the archive without trusting its author. */
export function writeSummary(dir: string, manifest: Omit<Manifest, 'files'>, problems: readonly ArchiveProblem[]): void {
  const f = manifest.facts;
  const lines = [
    `# Ledger audit export: ${manifest.ledgerId} (${manifest.environment})`,
    '',
    `- Ledger: ${manifest.ledgerEndpoint}`,
    `- Exported at: ${manifest.exportedAt}`,
    `- Every entry committed up to transaction **${manifest.upTo}** (the ledger's state when the export began)`,
    `- Entries: **${f.entries}** in ${f.collections.length} collection(s); first ${f.first ?? '–'}, last ${f.last ?? '–'}`,
    `- Receipts: ${f.receipts}, of which **${f.receiptsVerified} verified** against \`${ARCHIVE_FILES.serviceCertificate}\``,
    `- Transaction ids up to ${manifest.upTo} holding no entry (signature and governance transactions): ${f.transactionsWithoutEntry}`,
    `- Result: ${problems.length === 0 ? '**every check passed**' : `**${problems.length} check(s) failed**`}`,
    '',
    '## Collections',
    '',
    '| collection | entries | first | last |',
    '|---|---:|---|---|',
    ...f.collections.map((c) => `| ${c.collectionId} | ${c.count} | ${c.first} | ${c.last} |`),
    '',
    '## What was checked',
    '',
    "- Each receipt is endorsed by the service certificate, its proof leads to a root the signing node signed, and it names its entry's transaction.",
    "- Within each collection, transaction ids strictly increase across the pages read; no id appears twice; nothing lies beyond the bound; each collection's latest entry within the bound was read.",
    `- \`${ARCHIVE_FILES.manifest}\` records the SHA-256 of every file, so any later change to them is detected.`,
    '',
    '## Checking this archive yourself',
    '',
    `Compare \`${ARCHIVE_FILES.serviceCertificate}\` with the ledger's identity from the identity service, then run`,
    '`npm run verify-receipt -- <this folder> --ledger <ledger name>` (offline with `--service-cert <pem>`).',
    '',
    ...(problems.length ? ['## Failed checks', '', ...problems.slice(0, 100).map((p) => `- ${describeProblem(p)}`), ''] : []),
  ];
  replaceFile(join(dir, ARCHIVE_FILES.summary), lines.join('\n'));
}
