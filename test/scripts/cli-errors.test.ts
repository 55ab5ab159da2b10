import { CommandFailure, UsageError, reportError } from '../../scripts/cli/command';
import { exitCode } from '../../scripts/cli/exit-codes';

class ConfigError extends Error {}

/** What reportError prints and returns for an error thrown by a command's main. */
function reported(error: unknown): { code: number; printed: string } {
  const printed: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((line: string) => printed.push(line));
  try {
    return { code: reportError('smoke', error, [[ConfigError, 'usage', 'smoke refused']]), printed: printed.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('errors are reported by kind', () => {
  test('an unexpected error is reported as unexpected, with its stack, and exits 70: never as a ledger step or a user mistake', () => {
    const { code, printed } = reported(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(code).toBe(exitCode('unexpected'));
    expect(code).not.toBe(exitCode('step-resolve'));
    expect(printed).toMatch(
      /^smoke: unexpected error \(not a verdict on your input or on the ledger[^]*TypeError: Cannot read[^]*\n\s+at /,
    );
  });

  test('a user mistake names itself, points at --help and has no stack trace', () => {
    const { code, printed } = reported(new UsageError('--run-id may hold only letters'));
    expect(code).toBe(exitCode('usage'));
    expect(printed).toBe('smoke: --run-id may hold only letters\n(run npm run smoke -- --help for usage and examples)');
  });

  test('an expected failure exits with its own code and no stack trace; a known error type with its heading', () => {
    expect(reported(new CommandFailure('terraform plan failed (exit 7)', 'terraform-failed'))).toEqual({
      code: exitCode('terraform-failed'),
      printed: 'smoke: terraform plan failed (exit 7)',
    });
    expect(reported(new ConfigError('prod.json: ledger.type "Public" is not allowed'))).toEqual({
      code: exitCode('usage'),
      printed: 'smoke refused:\nprod.json: ledger.type "Public" is not allowed',
    });
  });

  test('something thrown that is not an Error is still unexpected', () => {
    expect(reported('a string').code).toBe(exitCode('unexpected'));
  });
});
