/**
 * `npm run verify-receipt -- <file|folder|archive>... [--service-cert <pem> | --ledger <name>]`: verifies
 * receipts offline, for auditors; an audit archive (`npm run audit`) is checked whole. A file may hold a receipt (bare or as the ledger returned it), an
 * evidence package's evidence.json, or a list of vectors ({"vectors": [{receipt, serviceCertificate}]}).
 * Exit 0 when every receipt verifies, 1 when any does not (naming the failed check), 2 for bad usage.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AZURE_IDENTITY_SERVICE, fetchLedgerIdentity, identityUrl } from '../receipts/ledger-identity';
import { ReceiptVerificationError, VerificationCache, verifyReceipt } from '../receipts/verify';
import { isArchive, verifyArchives } from './audit/archive';

export interface ReceiptItem {
  readonly name: string;
  readonly receipt: unknown;
  /** the certificate the file carries, if any. */
  readonly embeddedCertificate?: string;
  readonly transactionId?: string;
}

/** Reads every receipt a file or folder holds. */
export function collectReceipts(path: string): ReceiptItem[] {
  if (statSync(path).isDirectory()) {
    const entries = readdirSync(path).sort();
    // an evidence folder holds receipt.json beside evidence.json; the evidence carries more.
    const files = entries.includes('evidence.json') ? entries.filter((f) => f !== 'receipt.json') : entries;
    return files.flatMap((entry) => {
      const child = join(path, entry);
      return statSync(child).isDirectory() || entry.endsWith('.json') ? collectReceipts(child) : [];
    });
  }
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return [{ name: path, receipt: { unreadable: (error as Error).message } }];
  }
  if (Array.isArray(data.vectors)) {
    return data.vectors.map((v: Record<string, unknown>, i: number) => ({
      name: `${path}#${String(v.name ?? i)}`,
      receipt: v.receipt,
      embeddedCertificate: v.serviceCertificate as string,
    }));
  }
  if (data.schema === 'acl-stack/evidence/v1') {
    return [
      {
        name: path,
        receipt: data.receipt,
        embeddedCertificate: data.serviceCertificate as string,
        transactionId: data.transactionId as string,
      },
    ];
  }
  return [{ name: path, receipt: data }];
}

export interface VerificationReport {
  readonly verified: number;
  readonly failed: { readonly name: string; readonly check: string; readonly message: string }[];
}

/** Verifies items, each against `serviceCertificate` or else the certificate it carries. */
export function verifyAll(
  items: readonly ReceiptItem[],
  serviceCertificate?: string,
  report: (line: string) => void = () => undefined,
): VerificationReport {
  const cache = new VerificationCache();
  const failed: VerificationReport['failed'][number][] = [];
  let verified = 0;
  for (const item of items) {
    const certificate = serviceCertificate ?? item.embeddedCertificate;
    try {
      if (!certificate) throw new ReceiptVerificationError('endorsement', 'no service certificate: pass --service-cert or --ledger');
      const result = verifyReceipt(item.receipt, { serviceCertificate: certificate, transactionId: item.transactionId, cache });
      verified++;
      report(`✓ ${item.name}: transaction ${result.transactionId}, root ${result.root}`);
    } catch (error) {
      if (!(error instanceof ReceiptVerificationError)) throw error;
      failed.push({ name: item.name, check: error.check, message: error.message });
      report(`✗ ${item.name}: ${error.message}`);
    }
  }
  return { verified, failed };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'service-cert': { type: 'string' },
      ledger: { type: 'string' },
      'identity-url': { type: 'string', default: AZURE_IDENTITY_SERVICE },
    },
  });
  if (positionals.length === 0 || (values['service-cert'] && values.ledger)) {
    console.error(
      'usage: verify-receipt <receipt.json|evidence.json|folder|audit archive>... [--service-cert <pem> | --ledger <name> [--identity-url <url>]]',
    );
    return 2;
  }
  const serviceCertificate = values['service-cert']
    ? readFileSync(values['service-cert'], 'utf8')
    : values.ledger
      ? await fetchLedgerIdentity(identityUrl(values.ledger, values['identity-url']))
      : undefined;
  if (!serviceCertificate)
    console.log(
      'note: checking each receipt against the certificate its own file carries; pass --service-cert or --ledger for an independent copy',
    );
  const archives = positionals.filter(isArchive);
  const archiveFailures = await verifyArchives(archives, serviceCertificate, (line) => console.log(line));
  const items = positionals.filter((p) => !archives.includes(p)).flatMap(collectReceipts);
  const started = performance.now();
  const report = verifyAll(items, serviceCertificate, (line) => console.log(line));
  if (archives.length && !items.length) return archiveFailures ? 1 : 0;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `\n${report.verified} verified, ${report.failed.length} failed (${basename(positionals[0])}${positionals.length > 1 ? ', …' : ''}; ${seconds.toFixed(3)} s)`,
  );
  return report.failed.length || archiveFailures ? 1 : items.length ? 0 : 2;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`verify-receipt: ${error.message}`);
      process.exit(2);
    },
  );
}
