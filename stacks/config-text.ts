import { readFileSync } from 'node:fs';
import { parse as scanJson, printParseErrorCode, type ParseError, type ParseErrorCode } from 'jsonc-parser';
import { certificateProblem } from '../constructs/ledger';

/*
 * Reading the files an environment names: its JSON and the certificates it points to. Every problem
 * is one line in the user's terms (file, line and column); file content is never echoed, since it may
 * be binary or a secret pasted in the wrong place.
 */

/** A file read as text, or why it cannot be: a problem in words, without the file's content. */
export type TextResult = { readonly text: string } | { readonly problem: string };

const UTF8_BOM = '\uFEFF';

/**
 * Reads a UTF-8 text file, dropping a byte-order mark (editors on Windows write one). Binary
 * content and UTF-16 are refused with what was found.
 */
export function readTextFile(path: string): TextResult {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'is UTF-16 text; save it as UTF-8' };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { problem: 'is binary, not UTF-8 text' };
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) return { problem: `is binary, not text (a NUL byte at ${lineColumn(text, nul)})` };
  return { text: text.startsWith(UTF8_BOM) ? text.slice(UTF8_BOM.length) : text };
}

/** `line:column` (both from 1) of a character offset. */
export function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/**
 * Parses strict JSON. On a syntax error, says where (line:column) and what was expected, using
 * jsonc-parser's scanner for the position: Node's JSON.parse gives no position for some errors and
 * quotes the file's content in others.
 */
export function parseJson(text: string): { readonly data: unknown } | { readonly problem: string } {
  try {
    return { data: JSON.parse(text) };
  } catch {
    const errors: ParseError[] = [];
    scanJson(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (!first) return { problem: 'is not valid JSON' };
    return { problem: `is not valid JSON: ${lineColumn(text, first.offset)}: ${describeParseError(first.error)}` };
  }
}

function describeParseError(code: ParseErrorCode): string {
  const name = printParseErrorCode(code);
  if (name === 'InvalidCommentToken') return 'comments are not allowed in JSON';
  // 'CloseBraceExpected' → 'close brace expected'.
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** Reads a PEM certificate file; a private key, binary (DER) content or other text is refused, in words. */
export function readCertificate(path: string): TextResult {
  const read = readTextFile(path);
  if ('problem' in read) {
    return read.problem.startsWith('is binary')
      ? { problem: `${read.problem}: a DER certificate? convert it with openssl x509 -inform der -in <file> -out <file>.pem` }
      : read;
  }
  const problem = certificateProblem(read.text);
  // a PEM saved with CRLF is the same certificate: LF keeps the stack (and its hash) the same on every OS.
  return problem ? { problem } : { text: read.text.replace(/\r\n?/g, '\n') };
}
