import { X509Certificate, createHash } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { ClaimsFormatError, claimsDigest } from './claims';
import { foldProof, leafHash, type LeafComponents, type ProofStep } from './merkle';

/**
 * A receipt as the ledger returns it, in either spelling: camelCase (documented API) or
 * snake_case (what api-version 2022-05-13 puts on the wire).
 */
export interface Receipt {
  readonly cert: string;
  readonly nodeId?: string;
  readonly serviceEndorsements: readonly string[];
  readonly leafComponents: LeafComponents;
  readonly proof: readonly ProofStep[];
  readonly signature: string;
}

/** The checks, in the order they run; a failure names one of them. */
export const RECEIPT_CHECKS = [
  'format',
  'transaction',
  'node-certificate',
  'endorsement',
  'node-id',
  'commit-evidence',
  'claims-digest',
  'proof',
  'signature',
] as const;
export type ReceiptCheck = (typeof RECEIPT_CHECKS)[number];

export class ReceiptVerificationError extends Error {
  constructor(
    readonly check: ReceiptCheck,
    message: string,
  ) {
    super(`receipt check '${check}' failed: ${message}`);
    this.name = 'ReceiptVerificationError';
  }
}

export interface VerifiedReceipt {
  readonly transactionId: string;
  /** hex root of the Merkle tree the node signed. */
  readonly root: string;
  readonly nodeId: string;
  /** the leaf's claimsDigest (64 zeros: the receipt binds nothing about the entry's contents). */
  readonly claimsDigest: string;
  /** true when `entry` was given and the claims digest binds exactly its collection id and contents. */
  readonly contentsBound: boolean;
}

/** The entry a receipt is for, as the ledger returned it. */
export interface ReceiptEntry {
  readonly collectionId: string;
  readonly contents: string;
}

export interface VerifyOptions {
  /** the ledger's identity (service) certificate, PEM, as pinned by the client. */
  readonly serviceCertificate: string;
  /** when given, the receipt must be for this transaction. */
  readonly transactionId?: string;
  /**
   * When given, a receipt with application claims must bind exactly this entry: the claims digest
   * is recomputed from its collection id and contents with the claim's key. A receipt without
   * claims (all-zero digest, api-version 2022-05-13) still verifies, with `contentsBound` false.
   */
  readonly entry?: ReceiptEntry;
  /**
   * Remembers checks that many receipts share (a node certificate's endorsement, a signed root),
   * so that bulk verification pays for each only once.
   * @default - no caching
   */
  readonly cache?: VerificationCache;
}

/** Shared results for bulk verification; keyed by the exact bytes checked, so never stale. */
export class VerificationCache {
  readonly endorsedNodes = new Map<string, EndorsedNode>();
  readonly signedRoots = new Set<string>();
  /** parent hashes already computed while folding proofs (see {@link foldProof}). */
  readonly proofNodes = new Map<string, string>();
}

interface EndorsedNode {
  readonly certificate: X509Certificate;
  /** hex SHA-256 of the node's SubjectPublicKeyInfo. */
  readonly nodeId: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const COMMIT_EVIDENCE = /^ce:(\d+)\.(\d+):[0-9a-f]{64}$/;

/**
 * Verifies a receipt as the official SDKs do: the node certificate is endorsed by the service
 * certificate, the node id matches it, the leaf and proof lead to a root, and the node signed that
 * root. Accepts the bare receipt or the whole `GET …/receipt` response. Throws
 * {@link ReceiptVerificationError} naming the failed check.
 */
export function verifyReceipt(input: unknown, options: VerifyOptions): VerifiedReceipt {
  const { receipt, transactionId: envelopeId, applicationClaims } = normalizeReceipt(input);
  const wanted = options.transactionId ?? envelopeId;
  if (envelopeId !== undefined && envelopeId !== wanted) {
    throw new ReceiptVerificationError('transaction', `the response is for transaction ${envelopeId}, not ${wanted}`);
  }

  const ce = COMMIT_EVIDENCE.exec(receipt.leafComponents.commitEvidence);
  if (!ce)
    throw new ReceiptVerificationError(
      'commit-evidence',
      `commitEvidence '${receipt.leafComponents.commitEvidence}' is not ce:<view>.<seqno>:<64 hex>`,
    );
  const evidenceId = `${ce[1]}.${ce[2]}`;
  if (wanted !== undefined && evidenceId !== wanted) {
    throw new ReceiptVerificationError('transaction', `the commit evidence names transaction ${evidenceId}, not ${wanted}`);
  }
  const contentsBound = checkClaims(receipt.leafComponents.claimsDigest, applicationClaims, options.entry);

  const { certificate: node, nodeId } = endorsedNode(receipt, options);
  if (receipt.nodeId !== undefined && receipt.nodeId !== nodeId) {
    throw new ReceiptVerificationError(
      'node-id',
      `nodeId ${receipt.nodeId} is not the SHA-256 of the node certificate's public key (${nodeId})`,
    );
  }

  const root = foldProof(leafHash(receipt.leafComponents), receipt.proof, options.cache?.proofNodes);
  const signatureKey = signedRootKey(root.toString('hex'), receipt.signature, nodeId);
  if (!options.cache?.signedRoots.has(signatureKey)) {
    checkSignature(node, root, receipt.signature);
    options.cache?.signedRoots.add(signatureKey);
  }
  return {
    transactionId: evidenceId,
    root: root.toString('hex'),
    nodeId,
    claimsDigest: receipt.leafComponents.claimsDigest,
    contentsBound,
  };
}

const ZERO_DIGEST = '0'.repeat(64);

/**
 * The claims the receipt carries must digest to its leaf's claimsDigest, and with `entry`, the
 * same digest recomputed from the entry's collection id and contents must match too. Returns
 * whether the receipt binds the entry's contents.
 */
function checkClaims(leafDigest: string, claims: readonly unknown[] | undefined, entry: ReceiptEntry | undefined): boolean {
  const digest = (list: readonly unknown[], what: string): string => {
    try {
      return claimsDigest(list);
    } catch (error) {
      if (error instanceof ClaimsFormatError) throw new ReceiptVerificationError('claims-digest', `${what}: ${error.message}`);
      throw error;
    }
  };
  if (claims?.length && digest(claims, 'the application claims') !== leafDigest) {
    throw new ReceiptVerificationError('claims-digest', `the application claims do not digest to the leaf's claimsDigest ${leafDigest}`);
  }
  if (!entry || leafDigest === ZERO_DIGEST) return false;
  const entryClaims = claims?.filter((c) => (c as { kind?: unknown }).kind === 'LedgerEntry') ?? [];
  if (entryClaims.length !== 1) {
    throw new ReceiptVerificationError(
      'claims-digest',
      `the claimsDigest is not zero, but the receipt carries ${entryClaims.length} LedgerEntry claims, not the one that binds the entry`,
    );
  }
  // claims digested above are objects; the LedgerEntry one is re-digested with the entry's own values.
  const recomputed = claims!.map((c) => {
    const claim = c as { ledgerEntry?: object };
    return c === entryClaims[0] ? { ...claim, ledgerEntry: { ...claim.ledgerEntry, ...entry } } : c;
  });
  if (digest(recomputed, 'the entry') !== leafDigest) {
    throw new ReceiptVerificationError(
      'claims-digest',
      `the claimsDigest does not bind this entry: collection ${JSON.stringify(entry.collectionId)} with these contents digests differently`,
    );
  }
  return true;
}

/** How {@link VerificationCache.signedRoots} names a signature already checked over a root by a node key. */
export const signedRootKey = (rootHex: string, signature: string, nodeId: string): string => `${rootHex}:${signature}:${nodeId}`;

function endorsedNode(receipt: Receipt, options: VerifyOptions): EndorsedNode {
  const cacheKey = [receipt.cert, ...receipt.serviceEndorsements, options.serviceCertificate].join('\n');
  const cached = options.cache?.endorsedNodes.get(cacheKey);
  if (cached) return cached;
  const node = parseCertificate(receipt.cert, 'the node certificate (cert)');
  const chain = [node, ...receipt.serviceEndorsements.map((pem, i) => parseCertificate(pem, `serviceEndorsements[${i}]`))];
  const service = parseCertificate(options.serviceCertificate, 'the service certificate');
  [...chain, service].forEach((certificate) => {
    const type = certificate.publicKey.asymmetricKeyType;
    if (type !== 'ec')
      throw new ReceiptVerificationError(
        'node-certificate',
        `${certificate.subject.replace(/\n/g, ', ')} has a ${type} key; ledger identities are EC`,
      );
  });
  for (let i = 0; i < chain.length; i++) {
    const endorser = chain[i + 1] ?? service;
    if (!chain[i].verify(endorser.publicKey)) {
      const what = i === 0 ? 'the node certificate' : `serviceEndorsements[${i - 1}]`;
      const by = i + 1 < chain.length ? `serviceEndorsements[${i}]` : 'the service certificate';
      throw new ReceiptVerificationError('endorsement', `${what} is not signed by ${by}`);
    }
  }
  const endorsed = {
    certificate: node,
    nodeId: createHash('sha256')
      .update(node.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
  };
  options.cache?.endorsedNodes.set(cacheKey, endorsed);
  return endorsed;
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (error) {
    throw new ReceiptVerificationError('node-certificate', `${what} is not a PEM X.509 certificate (${(error as Error).message})`);
  }
}

function checkSignature(node: X509Certificate, root: Buffer, signatureB64: string): void {
  const jwk = node.publicKey.export({ format: 'jwk' });
  const curve = jwk.crv === 'P-256' ? p256 : jwk.crv === 'P-384' ? p384 : undefined;
  if (!curve) throw new ReceiptVerificationError('node-certificate', `the node key is on curve ${jwk.crv}; expected P-256 or P-384`);
  const publicKey = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  const signature = Buffer.from(signatureB64, 'base64');
  let valid = false;
  try {
    // the root is the digest itself (no second hash), and real receipts are not low-S normalised.
    valid = curve.verify(signature, root, publicKey, { prehash: false, lowS: false, format: 'der' });
  } catch {
    valid = false;
  }
  if (!valid) throw new ReceiptVerificationError('signature', 'the signature is not the node’s signature over the root the proof leads to');
}

/** Reads a receipt in either spelling, bare or inside a `GET …/receipt` response. */
export function normalizeReceipt(input: unknown): {
  receipt: Receipt;
  transactionId?: string;
  /** the `applicationClaims` beside the receipt (api-version 2023-01-18-preview, 2026-02-23 and later). */
  applicationClaims?: readonly unknown[];
} {
  if (!isObject(input)) throw new ReceiptVerificationError('format', 'the receipt is not a JSON object');
  let body = input;
  let transactionId: string | undefined;
  const applicationClaims = input.applicationClaims;
  if (applicationClaims !== undefined && !Array.isArray(applicationClaims)) {
    throw new ReceiptVerificationError('claims-digest', 'applicationClaims is not a list');
  }
  if ('receipt' in input) {
    if (input.state !== 'Ready')
      throw new ReceiptVerificationError('format', `the response state is ${JSON.stringify(input.state)}, not "Ready"`);
    if (typeof input.transactionId !== 'string') throw new ReceiptVerificationError('format', 'the response has no transactionId');
    transactionId = input.transactionId;
    if (!isObject(input.receipt)) throw new ReceiptVerificationError('format', 'the response holds no receipt');
    body = input.receipt;
  }
  const field = (camel: string, snake: string): unknown => body[camel] ?? body[snake];
  if (field('isSignatureTransaction', 'is_signature_transaction') === true) {
    throw new ReceiptVerificationError('format', 'this is the receipt of a signature transaction, which proves no entry');
  }
  const rawLeaf = field('leafComponents', 'leaf_components');
  if (!isObject(rawLeaf)) throw new ReceiptVerificationError('format', 'leafComponents is missing');
  const leaf = (camel: string, snake: string): string => {
    const value = rawLeaf[camel] ?? rawLeaf[snake];
    if (typeof value !== 'string') throw new ReceiptVerificationError('format', `leafComponents.${camel} is missing`);
    return value;
  };
  const leafComponents = {
    writeSetDigest: leaf('writeSetDigest', 'write_set_digest'),
    commitEvidence: leaf('commitEvidence', 'commit_evidence'),
    claimsDigest: leaf('claimsDigest', 'claims_digest'),
  };
  for (const key of ['writeSetDigest', 'claimsDigest'] as const) {
    if (!HEX32.test(leafComponents[key]))
      throw new ReceiptVerificationError('format', `leafComponents.${key} is not 64 lower-case hex digits`);
  }
  const proof = body.proof;
  if (!Array.isArray(proof)) throw new ReceiptVerificationError('proof', 'proof is not a list');
  proof.forEach((step, i) => {
    const keys = isObject(step) ? Object.keys(step) : [];
    const value = isObject(step) ? (step.left ?? step.right) : undefined;
    if (keys.length !== 1 || !['left', 'right'].includes(keys[0]) || typeof value !== 'string' || !HEX32.test(value)) {
      throw new ReceiptVerificationError('proof', `proof[${i}] must hold exactly one of left or right, as 64 hex digits`);
    }
  });
  const endorsements = field('serviceEndorsements', 'service_endorsements') ?? [];
  if (!Array.isArray(endorsements) || endorsements.some((e) => typeof e !== 'string')) {
    throw new ReceiptVerificationError('format', 'serviceEndorsements is not a list of PEM certificates');
  }
  const nodeId = field('nodeId', 'node_id');
  if (nodeId !== undefined && typeof nodeId !== 'string') throw new ReceiptVerificationError('format', 'nodeId is not a string');
  if (typeof body.cert !== 'string') throw new ReceiptVerificationError('format', 'cert is missing');
  if (typeof body.signature !== 'string') throw new ReceiptVerificationError('format', 'signature is missing');
  // base64 has spare bits: only the canonical spelling is accepted, so no two receipts differ unseen.
  if (Buffer.from(body.signature, 'base64').toString('base64') !== body.signature) {
    throw new ReceiptVerificationError('format', 'signature is not canonical base64');
  }
  return {
    receipt: {
      cert: body.cert,
      nodeId,
      serviceEndorsements: endorsements,
      leafComponents,
      proof: proof as ProofStep[],
      signature: body.signature,
    },
    transactionId,
    applicationClaims,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
