/**
 * `npm run ledger:local`: the local ledger's command (local-ledger/cli.ts), plus what only the
 * project can add to it: `--environment <file>` seeds a new ledger with that environment's ledger
 * principals, read by the environment loader (the emulator itself reads no environment files).
 */
import { runLocalLedgerCli } from '../local-ledger/cli';

runLocalLedgerCli(async (file) => {
  // loaded only when asked for: the config schema pulls in cdktf, which a plain start does not need.
  const { loadEnvironmentFile } = await import('../stacks/environment-config.js');
  return loadEnvironmentFile(file).ledger.principals;
});
