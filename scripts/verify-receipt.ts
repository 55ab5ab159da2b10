/**
 * `npm run verify-receipt -- <file|folder|archive>... [--service-cert <pem> | --ledger <name>]`: verifies
 * receipts offline, for auditors; an audit archive (`npm run audit`) is checked whole. A file may hold a receipt (bare or as the ledger returned it), an
 * evidence package's evidence.json, or a list of vectors ({"vectors": [{receipt, serviceCertificate}]}).
 * An evidence package is checked against the ledger certificate it pins (or `--service-cert`, which
 * must be that one), and a failed smoke run is reported as a failed run, not as a failed receipt.
 * Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AZURE_IDENTITY_SERVICE, fetchLedgerIdentity, identityUrl } from '../receipts/ledger-identity';
import { ReceiptVerificationError, VerificationCache, verifyReceipt } from '../receipts/verify';
import { isArchive, verifyArchives } from './audit/archive';
import { UsageError, createCli, readableFile, runCli } from './cli/command';
import { exitCode } from './cli/exit-codes';
import { certificateSha256, type Evidence } from './smoke/evidence';

export interface ReceiptItem {
  readonly name: string;
  readonly receipt: unknown;
  /** the certificate the file carries, if any. */
  readonly embeddedCertificate?: string;
  readonly transactionId?: string;
  /** an evidence package's: the SHA-256 of the ledger certificate it pinned, its entry, and how its run ended. */
  readonly evidence?: {
    readonly pinnedSha256?: string;
    readonly entry?: Evidence['entry'];
    readonly failedStep?: { readonly name: string; readonly detail: string };
    readonly ok: boolean;
  };
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
    const evidence = data as unknown as Evidence;
    return [
      {
        name: path,
        receipt: evidence.receipt,
        embeddedCertificate: evidence.serviceCertificate,
        transactionId: evidence.transactionId,
        evidence: {
          pinnedSha256: evidence.ledger?.serviceCertificateSha256,
          entry: evidence.entry,
          failedStep: evidence.steps?.find((step) => step.status === 'failed'),
          ok: evidence.ok === true,
        },
      },
    ];
  }
  return [{ name: path, receipt: data }];
}

export interface VerificationReport {
  readonly verified: number;
  readonly failed: { readonly name: string; readonly check: string; readonly message: string }[];
  /** evidence of runs that failed: reported as such, their receipts (if any) checked as any other. */
  readonly failedRuns: { readonly name: string; readonly step: string; readonly detail: string }[];
}

/**
 * Verifies items, each against `serviceCertificate` or else the certificate it carries; an
 * evidence package only against the certificate it pinned.
 */
export function verifyAll(
  items: readonly ReceiptItem[],
  serviceCertificate?: string,
  report: (line: string) => void = () => undefined,
): VerificationReport {
  const cache = new VerificationCache();
  const failed: VerificationReport['failed'][number][] = [];
  const failedRuns: VerificationReport['failedRuns'][number][] = [];
  let verified = 0;
  for (const item of items) {
    if (item.evidence && !item.evidence.ok) {
      const step = item.evidence.failedStep ?? { name: 'unknown', detail: 'the package records no failed step' };
      failedRuns.push({ name: item.name, step: step.name, detail: step.detail });
      report(`! ${item.name}: the run FAILED at step '${step.name}' (${step.detail})${item.receipt ? '' : '; it holds no receipt'}`);
      if (!item.receipt) continue;
    }
    try {
      const certificate = certificateFor(item, serviceCertificate);
      const result = verifyReceipt(item.receipt, {
        serviceCertificate: certificate,
        transactionId: item.transactionId,
        entry: item.evidence?.entry,
        cache,
      });
      verified++;
      report(`✓ ${item.name}: transaction ${result.transactionId}, root ${result.root}`);
    } catch (error) {
      if (!(error instanceof ReceiptVerificationError)) throw error;
      failed.push({ name: item.name, check: error.check, message: error.message });
      report(`✗ ${item.name}: ${error.message}`);
    }
  }
  return { verified, failed, failedRuns };
}

/** The certificate an item is checked against; an evidence package's must be the one it pinned. */
function certificateFor(item: ReceiptItem, serviceCertificate: string | undefined): string {
  const certificate = serviceCertificate ?? item.embeddedCertificate;
  if (!certificate) throw new ReceiptVerificationError('endorsement', 'no service certificate: pass --service-cert or --ledger');
  const pinned = item.evidence?.pinnedSha256;
  if (!pinned) return certificate;
  let sha256: string;
  try {
    sha256 = certificateSha256(certificate);
  } catch (error) {
    throw new ReceiptVerificationError('endorsement', `the service certificate is not a PEM certificate (${(error as Error).message})`);
  }
  if (sha256 !== pinned) {
    throw new ReceiptVerificationError(
      'endorsement',
      serviceCertificate
        ? `the package pins ledger certificate SHA-256 ${pinned}, not the given one (${sha256}): it comes from another ledger`
        : `the certificate it carries (SHA-256 ${sha256}) is not the one it pins (${pinned})`,
    );
  }
  return certificate;
}

interface VerifyValues {
  readonly serviceCert?: string;
  readonly ledger?: string;
  readonly identityUrl: string;
}

function verifyCli() {
  return createCli({
    name: 'verify-receipt',
    summary:
      'Verifies receipts offline, for auditors: receipt files, evidence packages (each against the ledger certificate it pins), folders of them, lists of vectors, and audit archives (checked whole). Failed smoke runs are reported as failed runs, not as failed receipts.',
    examples: [
      ['npm run verify-receipt -- evidence/', 'every evidence package below evidence/, each against its own pinned certificate'],
      ['npm run verify-receipt -- receipt.json --service-cert service.pem', 'one receipt against an independent copy of the certificate'],
      [
        'npm run verify-receipt -- receipt.json --ledger contoso-acl-prod',
        "one receipt against the certificate Azure's identity service publishes",
      ],
      ['npm run verify-receipt -- audit-prod', 'an audit archive (npm run audit), offline'],
    ],
  })
    .argument('<path...>', 'receipt.json, evidence.json, a folder of them, a vectors file or an audit archive')
    .option('--service-cert <pem>', "an independent copy of the ledger's identity certificate", readableFile)
    .option('--ledger <name>', 'fetch the certificate of this Azure ledger from the identity service')
    .option('--identity-url <url>', 'the identity service', AZURE_IDENTITY_SERVICE);
}

async function main(values: VerifyValues, [paths]: readonly unknown[]): Promise<number> {
  const positionals = paths as string[];
  if (values.serviceCert && values.ledger) throw new UsageError('--service-cert and --ledger exclude each other');
  const missing = positionals.find((path) => !existsSync(path));
  if (missing) throw new UsageError(`${missing} does not exist`);
  const serviceCertificate = values.serviceCert
    ? readFileSync(values.serviceCert, 'utf8')
    : values.ledger
      ? await fetchLedgerIdentity(identityUrl(values.ledger, values.identityUrl))
      : undefined;
  if (!serviceCertificate)
    console.log(
      'note: checking each receipt against the certificate its own file carries (an evidence package: the one it pins); pass --service-cert or --ledger for an independent copy',
    );
  const archives = positionals.filter(isArchive);
  const archiveFailures = await verifyArchives(archives, serviceCertificate, (line) => console.log(line));
  const items = positionals.filter((p) => !archives.includes(p)).flatMap(collectReceipts);
  const started = performance.now();
  const report = verifyAll(items, serviceCertificate, (line) => console.log(line));
  if (archives.length && !items.length) return exitCode(archiveFailures ? 'failed' : 'ok');
  const seconds = (performance.now() - started) / 1000;
  const runs = report.failedRuns.length ? `; ${report.failedRuns.length} failed run(s), not receipt failures` : '';
  console.log(
    `\n${report.verified} verified, ${report.failed.length} failed${runs} (${basename(positionals[0])}${positionals.length > 1 ? ', …' : ''}; ${seconds.toFixed(3)} s)`,
  );
  if (report.failed.length || archiveFailures) return exitCode('failed');
  if (!items.length) throw new UsageError(`no receipt found in ${positionals.join(', ')}`);
  return exitCode('ok');
}

if (require.main === module) runCli(verifyCli(), main);
