import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptVerificationError, verifyReceipt } from '../../receipts/verify';
import type { Evidence } from '../smoke/evidence';
import { SMOKE_COLLECTION, SMOKE_SCHEMA, parseEntryContents } from '../smoke/run-smoke';

/** A promotion the evidence does not support. */
export class PromotionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionRefused';
  }
}

export interface EvidenceRequirement {
  readonly evidenceRoot: string;
  readonly environment: string;
  readonly commit: string;
  /** the environment's stack as this commit synthesizes it; null when not synthesized. */
  readonly stackSha256: string | null;
}

/**
 * The newest passing smoke evidence of an environment for exactly this commit and synthesized
 * stack. The values are taken from the entry the ledger recorded, not from the evidence file's
 * own fields, and the receipt is verified again against the certificate pinned during the run.
 * Throws {@link PromotionRefused} saying what was found instead.
 */
export function passingEvidence(requirement: EvidenceRequirement): { evidence: Evidence; dir: string } {
  const { evidenceRoot, environment, commit, stackSha256 } = requirement;
  if (!stackSha256) {
    throw new PromotionRefused(`the ${environment} stack is not synthesized, so its hash is unknown: run npm run synth first`);
  }
  const root = join(evidenceRoot, environment);
  const folders = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'evidence.json'))) : [];
  const rejected: string[] = [];
  const passing: { evidence: Evidence; dir: string }[] = [];
  for (const folder of folders) {
    const dir = join(root, folder);
    const evidence = JSON.parse(readFileSync(join(dir, 'evidence.json'), 'utf8')) as Evidence;
    if (evidence.entry?.collectionId !== SMOKE_COLLECTION) continue;
    const recorded = parseEntryContents(evidence.entry.contents);
    const problem = !evidence.ok
      ? 'the smoke test failed'
      : recorded?.schema !== SMOKE_SCHEMA
        ? 'its entry is not a smoke entry'
        : recorded.commit !== commit
          ? `it is for commit ${String(recorded.commit)}`
          : recorded.stackSha256 !== stackSha256
            ? `it is for stack ${String(recorded.stackSha256)}`
            : receiptProblem(evidence);
    if (problem) rejected.push(`${folder}: ${problem}`);
    else passing.push({ evidence, dir });
  }
  if (passing.length === 0) {
    throw new PromotionRefused(
      `no passing smoke evidence for ${environment} at commit ${commit} with stack ${stackSha256} in ${root}` +
        (rejected.length ? `; found instead:\n${rejected.map((r) => `  ${r}`).join('\n')}` : ' (none at all)'),
    );
  }
  return passing.sort((a, b) => b.evidence.finishedAt.localeCompare(a.evidence.finishedAt))[0];
}

function receiptProblem(evidence: Evidence): string | undefined {
  if (!evidence.receipt || !evidence.serviceCertificate || !evidence.transactionId) return 'it holds no receipt';
  try {
    verifyReceipt(evidence.receipt, { serviceCertificate: evidence.serviceCertificate, transactionId: evidence.transactionId });
    return undefined;
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return `its receipt does not verify (${error.message})`;
    throw error;
  }
}
