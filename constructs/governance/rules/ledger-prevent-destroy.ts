import { ConfidentialLedger } from '@cdktf/provider-azurerm/lib/confidential-ledger';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type GuardrailRule } from './rule';

export const ledgerPreventDestroy: GuardrailRule = {
  id: 'ACL-L3',
  info: "The ledger carries Terraform's prevent_destroy.",
  explanation:
    'Changing name, location, resource group or ledger type replaces the ledger; prevent_destroy makes such a plan fail instead of deleting data.',
  evaluate(node) {
    if (!(node instanceof ConfidentialLedger)) return NOT_APPLICABLE;
    return node.lifecycle?.preventDestroy === true ? COMPLIANT : nonCompliant('lifecycle.prevent_destroy is not set');
  },
};
