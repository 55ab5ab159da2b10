import { alerting } from './alerts';
import { ledgerDiagnostics, vaultDiagnostics } from './diagnostics';
import { ledgerLock } from './ledger-lock';
import { ledgerPreventDestroy } from './ledger-prevent-destroy';
import { ledgerPrivate } from './ledger-private';
import { logRetention } from './log-retention';
import { requiredTags } from './required-tags';
import type { GuardrailRule } from './rule';
import { vaultHardened, vaultPrivate } from './vault-hardened';
import { vaultLock, vaultPrivateEndpoint } from './vault-private-endpoint';

export * from './rule';

/** Every guardrail, in the order reports list them. */
export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  ledgerPrivate,
  ledgerLock,
  ledgerPreventDestroy,
  ledgerDiagnostics,
  vaultHardened,
  vaultPrivate,
  vaultDiagnostics,
  vaultPrivateEndpoint,
  vaultLock,
  logRetention,
  requiredTags,
  alerting,
];
export const GUARDRAIL_RULE_IDS = GUARDRAIL_RULES.map((r) => r.id);
