import 'reflect-metadata';
import { X509Certificate, createHash, createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { makePrivateDirectory, writeFileDurably } from './durable-files';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

/** Who the local ledger is: the keys and certificates a real ledger's service and node hold. */
export interface LedgerIdentity {
  readonly ledgerId: string;
  /** the service (network) certificate: self-signed CA, CN "CCF Network"; clients pin it. */
  readonly serviceCertificatePem: string;
  readonly serviceCertificatePath: string;
  /** the node certificate, CN "CCF Node", endorsed by the service key; TLS serves it. */
  readonly nodeCertificatePem: string;
  readonly nodeKeyPem: string;
  /** the node's private scalar, for signing Merkle roots (pre-hashed ECDSA). */
  readonly nodeSigningKey: Uint8Array;
  /** hex SHA-256 of the node certificate's SubjectPublicKeyInfo, as receipts carry it. */
  readonly nodeId: string;
  /** secret behind commit evidence (`ce:<view>.<seqno>:<hmac>`). */
  readonly ledgerSecret: Buffer;
  /** key of the local token issuer that stands in for Microsoft Entra ID. */
  readonly tokenIssuerKey: KeyObject;
  readonly tokenIssuerKeyPath: string;
}

export const identityPaths = (dataDir: string) => {
  const dir = join(dataDir, 'identity');
  return {
    dir,
    serviceCertificate: join(dir, 'service.cert.pem'),
    serviceKey: join(dir, 'service.key.pem'),
    nodeCertificate: join(dir, 'node.cert.pem'),
    nodeKey: join(dir, 'node.key.pem'),
    ledgerSecret: join(dir, 'ledger-secret'),
    tokenIssuerKey: join(dir, 'token-issuer.key.pem'),
    ledgerId: join(dir, 'ledger-id'),
  };
};

/**
 * Loads the identity kept in `dataDir`, creating it on first start. The node certificate names
 * `hostnames` (DNS names and IPs) so that clients connecting by those names accept it. A new
 * identity calls `beforeComplete` with its ledger secret just before it is marked complete, so
 * that what must exist with every complete identity (the ledger's log) is made first.
 */
export async function loadOrCreateIdentity(
  dataDir: string,
  ledgerId: string,
  hostnames: readonly string[],
  beforeComplete: (ledgerSecret: Buffer) => void = () => undefined,
): Promise<LedgerIdentity> {
  const paths = identityPaths(dataDir);
  if (!hasIdentity(dataDir)) {
    makePrivateDirectory(paths.dir);
    const service = await generateKeys();
    const serviceCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=CCF Network',
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + TEN_YEARS_MS),
      signingAlgorithm: EC_P256,
      keys: service,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(service.publicKey),
      ],
    });
    const node = await generateKeys();
    const nodeCert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=CCF Node',
      issuer: serviceCert.subject,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + TEN_YEARS_MS),
      signingAlgorithm: EC_P256,
      publicKey: node.publicKey,
      signingKey: service.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.SubjectAlternativeNameExtension(
          hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 'ip', value: h } : { type: 'dns', value: h })),
        ),
        await x509.AuthorityKeyIdentifierExtension.create(service.publicKey),
      ],
    });
    const issuer = await generateKeys();
    // the ledger id is written last: its presence marks a complete identity.
    writeFileDurably(paths.serviceKey, await privateKeyPem(service.privateKey), 0o600);
    writeFileDurably(paths.serviceCertificate, serviceCert.toString('pem') + '\n');
    writeFileDurably(paths.nodeKey, await privateKeyPem(node.privateKey), 0o600);
    writeFileDurably(paths.nodeCertificate, nodeCert.toString('pem') + '\n');
    const ledgerSecret = randomBytes(32);
    writeFileDurably(paths.ledgerSecret, ledgerSecret.toString('hex'), 0o600);
    writeFileDurably(paths.tokenIssuerKey, await privateKeyPem(issuer.privateKey), 0o600);
    beforeComplete(ledgerSecret);
    writeFileDurably(paths.ledgerId, ledgerId);
  }
  return loadIdentity(dataDir);
}

/** True when `dataDir` holds a complete ledger identity. */
export const hasIdentity = (dataDir: string): boolean => existsSync(identityPaths(dataDir).ledgerId);

/** Loads the identity kept in `dataDir`. */
export function loadIdentity(dataDir: string): LedgerIdentity {
  const paths = identityPaths(dataDir);
  const nodeKeyPem = readFileSync(paths.nodeKey, 'utf8');
  const nodeCertificatePem = readFileSync(paths.nodeCertificate, 'utf8');
  const nodeKey = createPrivateKey(nodeKeyPem);
  return {
    ledgerId: readFileSync(paths.ledgerId, 'utf8').trim(),
    serviceCertificatePem: readFileSync(paths.serviceCertificate, 'utf8'),
    serviceCertificatePath: paths.serviceCertificate,
    nodeCertificatePem,
    nodeKeyPem,
    nodeSigningKey: Buffer.from(nodeKey.export({ format: 'jwk' }).d!, 'base64url'),
    nodeId: createHash('sha256')
      .update(new X509Certificate(nodeCertificatePem).publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
    ledgerSecret: Buffer.from(readFileSync(paths.ledgerSecret, 'utf8').trim(), 'hex'),
    tokenIssuerKey: createPrivateKey(readFileSync(paths.tokenIssuerKey, 'utf8')),
    tokenIssuerKeyPath: paths.tokenIssuerKey,
  };
}

/** A client certificate and key for a certificate-based ledger user; its fingerprint is the user id. */
export async function createClientCertificate(commonName: string): Promise<{ certificatePem: string; keyPem: string; userId: string }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName.replace(/[,=+<>#;\\"]/g, '_')}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const certificatePem = cert.toString('pem') + '\n';
  return { certificatePem, keyPem: await privateKeyPem(keys.privateKey), userId: certificateUserId(certificatePem) };
}

/** The ledger's user id of a certificate user: its SHA-256 fingerprint as `AB:CD:…`. */
export const certificateUserId = (certificatePem: string): string => new X509Certificate(certificatePem).fingerprint256;

const generateKeys = () => webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']) as Promise<KeyPair>;
const serial = () => '01' + randomBytes(15).toString('hex');

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}
