import { appendFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import junit from 'junit-report-builder';
import { SMOKE_STEPS, type StepResult } from './steps';

/** What a smoke run proves, as kept for auditors and the next pipeline stage. */
export interface Evidence {
  readonly schema: 'acl-stack/evidence/v1';
  readonly environment: string;
  readonly runId: string;
  readonly commit: string;
  readonly stackSha256: string | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly ok: boolean;
  readonly ledger?: { readonly ledgerId: string; readonly ledgerEndpoint: string; readonly identityUrl: string };
  /** the pinned identity (service) certificate, PEM. */
  readonly serviceCertificate?: string;
  readonly transactionId?: string;
  readonly entry?: { readonly collectionId: string; readonly contents: string };
  /** the `GET …/receipt` response as the ledger sent it. */
  readonly receipt?: unknown;
  readonly verification?: { readonly transactionId: string; readonly root: string; readonly nodeId: string; readonly checks: string };
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

function junitXml(evidence: Evidence): string {
  const builder = junit.newBuilder();
  const suite = builder
    .testSuite()
    .name(`acl-stack smoke ${evidence.environment}`)
    .property('runId', evidence.runId)
    .property('commit', evidence.commit)
    .timestamp(evidence.startedAt);
  for (const step of evidence.steps) {
    const test = suite
      .testCase()
      .className(`smoke.${evidence.environment}`)
      .name(`${step.name}: ${SMOKE_STEPS[step.name].title}`)
      .time(step.durationMs / 1000);
    if (step.status === 'failed') test.failure(step.detail);
    else if (step.status === 'skipped') test.skipped();
    else test.standardOutput(step.detail);
  }
  return builder.build();
}

function summaryMarkdown(evidence: Evidence, dir: string): string {
  const icon = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
  const lines = [
    `### Ledger smoke test: ${evidence.environment} ${evidence.ok ? 'passed' : 'FAILED'}`,
    '',
    `- ledger: ${evidence.ledger ? `\`${evidence.ledger.ledgerId}\` at ${evidence.ledger.ledgerEndpoint}` : 'not resolved'}`,
    `- transaction: ${evidence.transactionId ? `\`${evidence.transactionId}\`` : 'none'}`,
    `- receipt: ${evidence.verification ? `verified (root \`${evidence.verification.root}\`)` : 'not verified'}`,
    `- commit \`${evidence.commit}\`, stack SHA-256 \`${evidence.stackSha256 ?? 'unknown'}\`, run \`${evidence.runId}\``,
    `- evidence: \`${dir}\``,
    '',
    '| step | result | time | detail |',
    '|---|---|---|---|',
    ...evidence.steps.map(
      (s) => `| ${s.name} | ${icon[s.status]} ${s.status} | ${s.durationMs} ms | ${s.detail.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

/** Evidence as it is gathered during a run. */
export type EvidenceDraft = { -readonly [K in keyof Evidence]?: Evidence[K] };
