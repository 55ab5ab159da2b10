import { TerraformResource } from '../../core';
import { REQUIRED_TAG_KEYS } from '../tags';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, resolved, type GuardrailRule } from './rule';

export const requiredTags: GuardrailRule = {
  id: 'ACL-T1',
  info: `Every taggable resource carries ${REQUIRED_TAG_KEYS.join(', ')}.`,
  explanation: 'Tags route cost, ownership and data-handling questions to the right team.',
  evaluate(node) {
    if (!(node instanceof TerraformResource) || !('tagsInput' in node)) return NOT_APPLICABLE;
    const tags = (resolved(node, (node as { tagsInput?: unknown }).tagsInput) ?? {}) as Record<string, unknown>;
    const missing = REQUIRED_TAG_KEYS.filter((key) => typeof tags[key] !== 'string' || tags[key] === '');
    return missing.length ? nonCompliant(`missing tags: ${missing.join(', ')}`) : COMPLIANT;
  },
};
