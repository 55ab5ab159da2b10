import { ConfidentialLedger } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { COMPLIANT, NOT_APPLICABLE, isLocked, nonCompliant, type GuardrailRule } from './rule';

export const ledgerLock: GuardrailRule = {
  id: 'ACL-L2',
  info: 'The ledger has a CanNotDelete or ReadOnly management lock.',
  explanation: 'Deleting a ledger is a hard delete: its history and receipts are gone for good.',
  evaluate(node) {
    if (!(node instanceof ConfidentialLedger)) return NOT_APPLICABLE;
    return isLocked(node, node.id) ? COMPLIANT : nonCompliant('no management lock has the ledger as its scope');
  },
};
