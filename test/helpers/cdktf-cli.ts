import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './environments';

/**
 * Whether the archived cdktf CLI can start on this Node: its node-pty ships prebuilt binaries up to
 * Node 22's ABI and npm 11 skips install scripts, so on Node 24 `npx cdktf` dies at start
 * (`Cannot find module '../build/Debug/pty.node'`). Tests of the CLI run only where it starts;
 * `npm run plan` / `npm run deploy` cover the deploy path everywhere.
 */
const CDKTF_CLI_STARTS =
  spawnSync(process.execPath, ['-e', "require('@cdktf/node-pty-prebuilt-multiarch')"], { cwd: REPO_ROOT }).status === 0;

/** `test` where the cdktf CLI starts, else `test.skip`; see {@link CDKTF_CLI_SKIPPED}. */
export const testWithCdktfCli: jest.It = CDKTF_CLI_STARTS ? test : test.skip;

/** Appended to the titles of skipped CLI tests, so the report says why. */
export const CDKTF_CLI_SKIPPED = CDKTF_CLI_STARTS ? '' : ` (skipped: the archived cdktf CLI cannot start on Node ${process.version})`;
