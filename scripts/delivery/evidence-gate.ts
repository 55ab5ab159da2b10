import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptVerificationError, verifyReceipt } from '../../receipts/verify';
import { certificateSha256, ledgerLabel, type Evidence } from '../smoke/evidence';
import { SMOKE_COLLECTION, SMOKE_SCHEMA, parseEntryContents } from '../smoke/entries';

/** A promotion the evidence does not support. */
export class PromotionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionRefused';
  }
}

/** The ledger an environment's evidence must come from, as the gate trusts it (never as the evidence says). */
export interface SourceLedger {
  /** how the gate knows this ledger, for messages. */
  readonly description: string;
  readonly ledgerId: string;
  readonly ledgerEndpoint: string;
  /** the identity (service) certificate, PEM: fetched live, pinned by the operator, or the stand-in's own. */
  readonly serviceCertificate: string;
  readonly standIn: boolean;
  /**
   * Reads an entry's contents again from this ledger, for evidence whose receipt does not bind
   * them. Rejects saying why it could not.
   */
  readonly reread: (entry: { readonly transactionId: string; readonly collectionId: string }) => Promise<string>;
}

export interface EvidenceRequirement {
  readonly evidenceRoot: string;
  readonly environment: string;
  readonly commit: string;
  /** the environment's stack as this commit synthesizes it; null when not synthesized. */
  readonly stackSha256: string | null;
  readonly source: SourceLedger;
}

/** How a passing package proves its entry's contents. */
export type ContentsProof = 'claims-digest' | 're-read';

/**
 * The newest passing smoke evidence of an environment for exactly this commit and synthesized
 * stack, from exactly that environment's ledger. Every field is checked against something the
 * file cannot forge: the receipt against the source ledger's certificate, the contents against
 * the receipt's claims digest or else against the entry re-read from the source ledger. Throws
 * {@link PromotionRefused} listing what was found instead.
 */
export async function passingEvidence(
  requirement: EvidenceRequirement,
): Promise<{ evidence: Evidence; dir: string; contentsProof: ContentsProof }> {
  const { evidenceRoot, environment, commit, stackSha256, source } = requirement;
  if (!stackSha256) {
    throw new PromotionRefused(`the ${environment} stack is not synthesized, so its hash is unknown: run npm run synth first`);
  }
  const root = join(evidenceRoot, environment);
  const folders = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'evidence.json'))) : [];
  const rejected: string[] = [];
  const passing: { evidence: Evidence; dir: string; contentsProof: ContentsProof }[] = [];
  for (const folder of folders) {
    const dir = join(root, folder);
    let evidence: Evidence;
    try {
      evidence = JSON.parse(readFileSync(join(dir, 'evidence.json'), 'utf8')) as Evidence;
    } catch (error) {
      rejected.push(`${folder}: evidence.json is not readable JSON (${(error as Error).message})`);
      continue;
    }
    if (evidence.kind !== 'smoke' && evidence.entry?.collectionId !== SMOKE_COLLECTION) continue;
    const outcome = await check(evidence, dir, requirement);
    if (typeof outcome === 'string') rejected.push(`${folder}: ${outcome}`);
    else passing.push({ evidence, dir, contentsProof: outcome.contentsProof });
  }
  if (passing.length === 0) {
    throw new PromotionRefused(
      `no passing smoke evidence for ${environment} at commit ${commit} with stack ${stackSha256} from ${source.description} in ${root}` +
        (rejected.length ? `; found instead:\n${rejected.map((r) => `  ${r}`).join('\n')}` : ' (none at all)'),
    );
  }
  return passing.sort((a, b) => b.evidence.finishedAt.localeCompare(a.evidence.finishedAt))[0];
}

/** What is wrong with one package, or how its contents are proven. */
async function check(
  evidence: Evidence,
  dir: string,
  requirement: EvidenceRequirement,
): Promise<string | { contentsProof: ContentsProof }> {
  const { environment, commit, stackSha256, source } = requirement;
  if (evidence.kind !== 'smoke') return `it is ${evidence.kind} evidence, not a smoke test`;
  if (evidence.entry?.collectionId !== SMOKE_COLLECTION) return `its entry is in collection ${String(evidence.entry?.collectionId)}`;
  if (!evidence.ok) return 'the smoke test failed';
  const recorded = parseEntryContents(evidence.entry.contents);
  if (recorded?.schema !== SMOKE_SCHEMA) return 'its entry is not a smoke entry';
  if (recorded.environment !== environment) return `its entry is for environment ${String(recorded.environment)}`;
  if (recorded.commit !== commit) return `it is for commit ${String(recorded.commit)}`;
  if (recorded.stackSha256 !== stackSha256) return `it is for stack ${String(recorded.stackSha256)}`;
  // the package's own fields must say what its entry says: an edit to either is caught.
  for (const field of ['environment', 'commit', 'stackSha256'] as const) {
    if (evidence[field] !== recorded[field]) {
      return `its ${field} field (${String(evidence[field])}) differs from its ledger entry (${String(recorded[field])})`;
    }
  }
  const problem = ledgerProblem(evidence, source);
  if (problem) return problem;
  const receipt = verifiedReceipt(evidence, source);
  if (typeof receipt === 'string') return receipt;
  const copies = copiesProblem(evidence, dir);
  if (copies) return copies;
  if (receipt.contentsBound) return { contentsProof: 'claims-digest' };
  // an older ledger's receipt (claims digest zeros) proves a transaction exists, not what it holds.
  const unbound = `its receipt does not bind the entry's contents (claims digest zeros, api-version ${evidence.apiVersion ?? 'unknown'})`;
  let held: string;
  try {
    held = await source.reread({ transactionId: evidence.transactionId!, collectionId: evidence.entry.collectionId });
  } catch (error) {
    return `${unbound} and the entry could not be re-read from ${source.description}: ${(error as Error).message}`;
  }
  if (!Buffer.from(held, 'utf8').equals(Buffer.from(evidence.entry.contents, 'utf8'))) {
    return `${unbound}, and ${source.description} holds different contents for transaction ${evidence.transactionId}: ${JSON.stringify(held.slice(0, 200))}`;
  }
  return { contentsProof: 're-read' };
}

/** The package must name the source ledger and carry its certificate, as its own copies say too. */
function ledgerProblem(evidence: Evidence, source: SourceLedger): string | undefined {
  const ledger = evidence.ledger;
  if (!ledger?.serviceCertificateSha256 || !evidence.serviceCertificate) {
    return 'it records no ledger binding (ledger name, endpoint and certificate hash): it predates bound evidence';
  }
  if (ledger.standIn && !source.standIn) {
    return `it came from a stand-in local ledger (${ledgerLabel(ledger)}), which never counts for the Azure environment's ledger ${source.ledgerId}`;
  }
  if (!ledger.standIn && source.standIn) return `it claims an Azure ledger (${ledger.ledgerId}), but the source is ${source.description}`;
  if (ledger.ledgerId !== source.ledgerId) return `it came from ledger ${ledger.ledgerId}, not ${source.ledgerId} (${source.description})`;
  const endpoint = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  if (endpoint(ledger.ledgerEndpoint) !== endpoint(source.ledgerEndpoint)) {
    return `it came from endpoint ${ledger.ledgerEndpoint}, not ${source.ledgerEndpoint} (${source.description})`;
  }
  const expected = certificateSha256(source.serviceCertificate);
  if (ledger.serviceCertificateSha256 !== expected) {
    return `its ledger certificate has SHA-256 ${ledger.serviceCertificateSha256}, not ${expected} of ${source.description}`;
  }
  let carried: string;
  try {
    carried = certificateSha256(evidence.serviceCertificate);
  } catch (error) {
    return `its serviceCertificate is not a PEM certificate (${(error as Error).message})`;
  }
  if (carried !== expected) return `its serviceCertificate (SHA-256 ${carried}) is not the one it records (${expected})`;
  return undefined;
}

/** The receipt and certificate files beside evidence.json must be what it holds. */
function copiesProblem(evidence: Evidence, dir: string): string | undefined {
  const copies: [string, unknown][] = [
    ['receipt.json', evidence.receipt],
    ['service-certificate.pem', evidence.serviceCertificate],
  ];
  for (const [file, value] of copies) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const text = readFileSync(path, 'utf8');
    const same = typeof value === 'string' ? text === value : JSON.stringify(safeJson(text)) === JSON.stringify(value);
    if (!same) return `its ${file} differs from what evidence.json holds`;
  }
  return undefined;
}

/** The receipt checked against the source ledger's certificate (not the package's) and the package's entry. */
function verifiedReceipt(evidence: Evidence, source: SourceLedger): string | { contentsBound: boolean } {
  if (!evidence.receipt || !evidence.transactionId) return 'it holds no receipt';
  try {
    return verifyReceipt(evidence.receipt, {
      serviceCertificate: source.serviceCertificate,
      transactionId: evidence.transactionId,
      entry: evidence.entry,
    });
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return `its receipt does not verify against ${source.description} (${error.message})`;
    throw error;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
