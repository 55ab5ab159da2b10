/**
 * The command line of every entry point, on commander (well kept, CommonJS on Node 20: v14; v15
 * needs Node 22.12): `--help` with examples and exit codes that runs nothing else, unknown flags
 * refused with a suggestion, user mistakes without stack traces, and unexpected errors reported as
 * such. Framework-free: the local ledger's CLI uses it too.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { exitCode, exitCodesOf, type CommandName, type ExitName } from './exit-codes';

/** A user mistake (a flag, an argument, a file named on the command line): the message, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the command expects and explains: its message, no stack trace, and the named exit. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exit: ExitName,
  ) {
    super(message);
    this.name = 'CommandFailure';
  }
}

export interface CliSpec {
  readonly name: CommandName;
  readonly summary: string;
  /** command lines with what each does, shown under "Examples:". */
  readonly examples: readonly (readonly [commandLine: string, what: string])[];
}

/** A commander command with the project's conventions; add options and arguments, then {@link runCli}. */
export function createCli(spec: CliSpec): Command {
  return configure(new Command(spec.name), spec);
}

/** The same conventions for a subcommand (`ledger:local mint-token`). */
export function configure(command: Command, spec: CliSpec): Command {
  return command
    .description(spec.summary)
    .exitOverride()
    .allowExcessArguments(false)
    .showSuggestionAfterError(true)
    .showHelpAfterError(`(run npm run ${spec.name} -- --help for usage and examples)`)
    .addHelpText('after', helpFooter(spec));
}

function helpFooter(spec: CliSpec): string {
  const examples = spec.examples.map(([line, what]) => `  ${line}\n      ${what}`).join('\n');
  const codes = exitCodesOf(spec.name)
    .map((row) => `  ${String(row.code).padEnd(3)} ${row.name.padEnd(20)} ${row.meaning}`)
    .join('\n');
  return `\nExamples:\n${examples}\n\nExit codes (of every command: scripts/cli/exit-codes.ts):\n${codes}`;
}

/** Errors a command expects from the layers below, with the exit each means and how to introduce it. */
export type KnownErrors = readonly (readonly [type: abstract new (...args: never[]) => Error, exit: ExitName, heading: string])[];

/**
 * Parses the command line (`--help`, a usage error: exits here, before anything runs), then runs
 * `main` and exits with the code it returns. An error is reported by kind: {@link UsageError},
 * {@link CommandFailure} or one of `known` without a stack trace; anything else as unexpected.
 */
export function runCli<O>(
  command: Command,
  /** gets the options and the arguments (defaults filled in, a variadic one as an array). */
  main: (options: O, args: readonly unknown[]) => Promise<number> | number,
  known: KnownErrors = [],
  argv: readonly string[] = process.argv.slice(2),
): void {
  // commander checks required options before unknown ones; checked after, a misspelt --env gets its suggestion.
  const required = command.options.filter((option) => option.mandatory);
  for (const option of required) option.mandatory = false;
  try {
    command.parse([...argv], { from: 'user' });
    const missing = required.find((option) => command.getOptionValue(option.attributeName()) === undefined);
    if (missing)
      command.error(`error: required option '${missing.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
  } catch (error) {
    // commander has printed the help, or the error with its suggestion.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? exitCode('ok') : exitCode('usage'));
    throw error;
  }
  Promise.resolve()
    .then(() => main(command.opts() as O, command.processedArgs))
    .then(
      (code) => process.exit(code),
      (error: unknown) => process.exit(reportError(command.name(), error, known)),
    );
}

/** Prints an error as its kind says and returns the exit code. */
export function reportError(name: string, error: unknown, known: KnownErrors = []): number {
  if (error instanceof UsageError) {
    console.error(`${name}: ${error.message}\n(run npm run ${name} -- --help for usage and examples)`);
    return exitCode('usage');
  }
  if (error instanceof CommandFailure) {
    console.error(`${name}: ${error.message}`);
    return exitCode(error.exit);
  }
  const match = known.find(([type]) => error instanceof type);
  if (match) {
    console.error(`${match[2]}:\n${(error as Error).message}`);
    return exitCode(match[1]);
  }
  console.error(
    `${name}: unexpected error (not a verdict on your input or on the ledger; please report it with this output):\n` +
      (error instanceof Error ? (error.stack ?? error.message) : String(error)),
  );
  return exitCode('unexpected');
}

/** An option parser for whole numbers ≥ `min`, refused in commander's words. */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

/** An option parser for environment names (`dev`, `prod-weu2`, `local`). */
export function environmentNameArg(value: string): string {
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(value))
    throw new InvalidArgumentError('is not an environment name (lower-case letters, digits, hyphens)');
  return value;
}

/** An option parser for a file the command will read: refused up front, in the flag's terms, when it cannot be. */
export function readableFile(value: string): string {
  try {
    if (!statSync(value).isFile()) throw new InvalidArgumentError('is not a file');
    accessSync(value, constants.R_OK);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError(`cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return value;
}
