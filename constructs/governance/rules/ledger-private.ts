import { ConfidentialLedger } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, resolved, type GuardrailRule } from './rule';

export const ledgerPrivate: GuardrailRule = {
  id: 'ACL-L1',
  info: 'The ledger is of type Private.',
  explanation: 'A Public ledger lets anyone read its entries; production records are not for everyone.',
  evaluate(node) {
    if (!(node instanceof ConfidentialLedger)) return NOT_APPLICABLE;
    const type = resolved(node, node.ledgerTypeInput);
    return type === 'Private' ? COMPLIANT : nonCompliant(`ledger_type is ${JSON.stringify(type)}`);
  },
};
