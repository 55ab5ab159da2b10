import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvironments } from '../../stacks/environment-config';
import { synthAll } from '../../stacks/synth';
import { environmentFile } from '../helpers/environment-sets';
import { REPO_ROOT } from '../helpers/environments';

/*
 * `.gitattributes` gives a Windows checkout LF, but a file written on Windows outside git (an
 * environment file from an editor, a certificate exported by a tool) has CRLF: it must load too.
 */

const toCrlf = (text: string): string => text.replace(/\r?\n/g, '\r\n');
const PEM = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'certs', 'alice.pem'), 'utf8');

/** One generated environment with a certificate principal, written with the given line ending. */
function environmentSet(lineEnding: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'acl-eol-'));
  const config = environmentFile('eol');
  config.ledger.principals.push({ kind: 'certificate', certificateFile: 'certs/agent.pem', role: 'Contributor' });
  mkdirSync(join(dir, 'certs'));
  writeFileSync(join(dir, 'certs', 'agent.pem'), lineEnding(PEM));
  writeFileSync(join(dir, 'eol.json'), lineEnding(JSON.stringify(config, null, 2) + '\n'));
  return dir;
}

describe('environment files and certificates with CRLF line endings', () => {
  const lf = environmentSet((text) => text);
  const crlf = environmentSet(toCrlf);

  test('the generated files really differ only in their line endings', () => {
    const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
    for (const file of ['eol.json', 'certs/agent.pem']) {
      expect(read(crlf, file)).toContain('\r\n');
      expect(read(lf, file)).not.toContain('\r');
      expect(read(crlf, file).replace(/\r\n/g, '\n')).toBe(read(lf, file));
    }
  });

  test('load as the LF files do, and the certificate parses to the same one', () => {
    const [fromLf] = loadEnvironments(lf);
    const [fromCrlf] = loadEnvironments(crlf);
    const fingerprint = (env: typeof fromLf) =>
      env.ledger.principals.flatMap((p) => (p.kind === 'certificate' ? [new X509Certificate(p.certificatePem).fingerprint256] : []));
    expect(fingerprint(fromCrlf)).toEqual([new X509Certificate(PEM).fingerprint256]);
    expect(fingerprint(fromCrlf)).toEqual(fingerprint(fromLf));
    const withoutPems = (env: typeof fromLf) => ({ ...env, file: undefined, ledger: { ...env.ledger, principals: fingerprint(env) } });
    expect(withoutPems(fromCrlf)).toEqual(withoutPems(fromLf));
    // the PEM text itself is normalised, so the stack (and its hash) is the same whatever the line endings.
    const pems = (env: typeof fromLf) => env.ledger.principals.flatMap((p) => (p.kind === 'certificate' ? [p.certificatePem] : []));
    expect(pems(fromCrlf)).toEqual(pems(fromLf));
  });

  test('synthesize the same stack as the LF files', () => {
    const synth = (dir: string) => {
      const out = mkdtempSync(join(tmpdir(), 'acl-eol-out-'));
      synthAll({ environmentsDir: dir, outdir: out });
      return readFileSync(join(out, 'stacks', 'acl-eol', 'cdk.tf.json'), 'utf8');
    };
    const fromCrlf = synth(crlf);
    const ledger = Object.values<any>(JSON.parse(fromCrlf).resource.azurerm_confidential_ledger)[0];
    expect(ledger.certificate_based_security_principal).toHaveLength(1);
    expect(fromCrlf).toBe(synth(lf));
  });
});
