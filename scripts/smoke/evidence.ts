import { X509Certificate, createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import junit from 'junit-report-builder';
import { SMOKE_STEPS, type SmokeStepName, type StepResult } from './steps';

/** What a run recorded: a smoke test, or an attestation (deployment, promotion). */
export type EvidenceKind = 'smoke' | 'deployment' | 'promotion';

const KIND_TITLES: Record<EvidenceKind, string> = {
  smoke: 'Ledger smoke test',
  deployment: 'Deployment attestation',
  promotion: 'Promotion attestation',
};

/** The ledger a run wrote to, as the evidence binds it. */
export interface EvidenceLedger {
  readonly ledgerId: string;
  readonly ledgerEndpoint: string;
  readonly identityUrl: string;
  /** hex SHA-256 of the pinned identity (service) certificate's DER. */
  readonly serviceCertificateSha256?: string;
  /** a local ledger standing in for the environment's: never proof for an Azure environment. */
  readonly standIn: boolean;
}

/** What a run proves, as kept for auditors and the next pipeline stage. */
export interface Evidence {
  readonly schema: 'acl-stack/evidence/v1';
  readonly kind: EvidenceKind;
  readonly environment: string;
  readonly runId: string;
  readonly commit: string;
  readonly stackSha256: string | null;
  /** the alert rules the environment's synthesized stack deploys; null when unknown (no stack, or a local run). */
  readonly alertRules?: readonly string[] | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly ok: boolean;
  readonly ledger?: EvidenceLedger;
  /** the data-plane api-version the entry was written and its receipt fetched at. */
  readonly apiVersion?: string;
  /** the pinned identity (service) certificate, PEM. */
  readonly serviceCertificate?: string;
  readonly transactionId?: string;
  readonly entry?: { readonly collectionId: string; readonly contents: string };
  /** the `GET …/receipt` response as the ledger sent it. */
  readonly receipt?: unknown;
  readonly verification?: {
    readonly transactionId: string;
    readonly root: string;
    readonly nodeId: string;
    readonly claimsDigest: string;
    /** whether the receipt's claims digest binds the entry's collection id and contents. */
    readonly contentsBound: boolean;
    readonly checks: string;
  };
  readonly steps: readonly StepResult[];
}

/** File names inside an evidence folder. */
export const EVIDENCE_FILES = {
  evidence: 'evidence.json',
  junit: 'junit.xml',
  summary: 'summary.md',
  receipt: 'receipt.json',
  serviceCertificate: 'service-certificate.pem',
} as const;

/**
 * Writes `<root>/<environment>/<name>/`: evidence.json, junit.xml, summary.md and, when there is
 * one, receipt.json and service-certificate.pem. Written into a temporary folder and renamed, so a
 * folder that exists is complete. Appends the summary to `$GITHUB_STEP_SUMMARY` when set.
 */
export function writeEvidence(root: string, evidence: Evidence, name: string): string {
  const dir = join(root, evidence.environment, name);
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, EVIDENCE_FILES.evidence), JSON.stringify(evidence, null, 2) + '\n');
  if (evidence.receipt) writeFileSync(join(staging, EVIDENCE_FILES.receipt), JSON.stringify(evidence.receipt, null, 2) + '\n');
  if (evidence.serviceCertificate) writeFileSync(join(staging, EVIDENCE_FILES.serviceCertificate), evidence.serviceCertificate);
  writeFileSync(join(staging, EVIDENCE_FILES.junit), junitXml(evidence));
  const summary = summaryMarkdown(evidence, dir);
  writeFileSync(join(staging, EVIDENCE_FILES.summary), summary);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary + '\n');
  return dir;
}

/** hex SHA-256 of a PEM certificate's DER, as evidence pins it. */
export function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

/** How a package names its source ledger wherever it is shown. */
export function ledgerLabel(ledger: EvidenceLedger | undefined): string {
  if (!ledger) return 'not resolved';
  return `\`${ledger.ledgerId}\` at ${ledger.ledgerEndpoint}${ledger.standIn ? ' (STAND-IN: a local ledger, not Azure)' : ''}`;
}

/**
 * Every step in order, those that never ran (after a failure) as skipped; not 'evidence', which is
 * writing this package.
 */
function allSteps(evidence: Evidence): StepResult[] {
  return (Object.keys(SMOKE_STEPS) as SmokeStepName[])
    .filter((name) => name !== 'evidence')
    .map(
      (name) =>
        evidence.steps.find((s) => s.name === name) ?? {
          name,
          status: 'skipped',
          durationMs: 0,
          detail: 'not run: an earlier step failed',
        },
    );
}

function junitXml(evidence: Evidence): string {
  const builder = junit.newBuilder();
  const standIn = evidence.ledger?.standIn ? ' [stand-in]' : '';
  const suite = builder
    .testSuite()
    .name(`acl-stack ${evidence.kind} ${evidence.environment}${standIn}`)
    .property('kind', evidence.kind)
    .property('runId', evidence.runId)
    .property('commit', evidence.commit)
    .property('ledger', evidence.ledger ? `${evidence.ledger.ledgerId} at ${evidence.ledger.ledgerEndpoint}` : 'not resolved')
    .property('standIn', String(evidence.ledger?.standIn ?? false))
    .timestamp(evidence.startedAt);
  for (const step of allSteps(evidence)) {
    const test = suite
      .testCase()
      .className(`${evidence.kind}.${evidence.environment}`)
      .name(`${step.name}: ${SMOKE_STEPS[step.name].title}`)
      .time(step.durationMs / 1000);
    if (step.status === 'failed') test.failure(step.detail);
    else if (step.status === 'skipped') test.skipped().standardOutput(step.detail);
    else test.standardOutput(step.detail);
  }
  return builder.build();
}

function summaryMarkdown(evidence: Evidence, dir: string): string {
  const icon = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
  const lines = [
    `### ${KIND_TITLES[evidence.kind]}: ${evidence.environment} ${evidence.ok ? 'passed' : 'FAILED'}${evidence.ledger?.standIn ? ' (stand-in ledger)' : ''}`,
    '',
    `- ledger: ${ledgerLabel(evidence.ledger)}`,
    `- transaction: ${evidence.transactionId ? `\`${evidence.transactionId}\`` : 'none'}${evidence.apiVersion ? ` (api-version ${evidence.apiVersion})` : ''}`,
    `- receipt: ${receiptLine(evidence)}`,
    `- commit \`${evidence.commit}\`, stack SHA-256 \`${evidence.stackSha256 ?? 'unknown'}\`, run \`${evidence.runId}\``,
    `- alert rules deployed: ${evidence.alertRules?.length ? evidence.alertRules.map((name) => `\`${name}\``).join(', ') : 'unknown'}`,
    `- evidence: \`${dir}\``,
    '',
    '| step | result | time | detail |',
    '|---|---|---|---|',
    ...allSteps(evidence).map(
      (s) => `| ${s.name} | ${icon[s.status]} ${s.status} | ${s.durationMs} ms | ${s.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

function receiptLine(evidence: Evidence): string {
  const v = evidence.verification;
  if (!v) return 'not verified';
  return `verified (root \`${v.root}\`); ${v.contentsBound ? 'binds the entry (claims digest)' : 'does NOT bind the entry’s contents (claims digest zeros)'}`;
}

/** Evidence as it is gathered during a run. */
export type EvidenceDraft = { -readonly [K in keyof Evidence]?: Evidence[K] };
