import { checkTags, renderTags, type TagSet } from '../../constructs/governance';
import { ConfidentialLedger } from '../../constructs/ledger';
import { ledgerProps } from '../helpers/fixtures';
import { Template, emptyStack } from '../helpers/template';

const POLICY: TagSet = { environment: 'unit', owner: 'platform', costCenter: 'CC-1', dataClassification: 'internal' };

describe("renderTags (this project's tag policy)", () => {
  test('renders the required tags and the extra ones into one map', () => {
    expect(renderTags(emptyStack(), { ...POLICY, extra: { workload: 'evidence' } })).toEqual({
      environment: 'unit',
      owner: 'platform',
      'cost-center': 'CC-1',
      'data-classification': 'internal',
      workload: 'evidence',
    });
  });

  test('fails when an extra tag redefines a required one', () => {
    expect(() => renderTags(emptyStack(), { ...POLICY, extra: { owner: 'someone-else' } })).toThrow(
      'test: tags.extra.owner "someone-else" redefines a required tag; set it through its own field',
    );
  });

  test('fails for an empty required tag', () => {
    expect(() => renderTags(emptyStack(), { ...POLICY, owner: ' ' })).toThrow(
      'test: tags.owner " " is empty; every resource must carry a non-empty value',
    );
  });
});

describe("checkTags (Azure's limits, on every construct)", () => {
  test.each<[string, Record<string, string>, string]>([
    [
      'too many tags',
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v'])),
      "test: tags 51 tags exceed Azure's limit of 50",
    ],
    [
      'a tag name Azure refuses',
      { 'a/b': 'v' },
      'test: tags "a/b" is not a valid Azure tag name (at most 512 characters, none of <>%&\\?/)',
    ],
    [
      'a tag value over 256 characters',
      { long: 'v'.repeat(257) },
      'test: tags.long "' + 'v'.repeat(257) + '" exceeds Azure\'s limit of 256 characters',
    ],
  ])('fails for %s', (_, tags, message) => {
    expect(() => checkTags(emptyStack(), tags)).toThrow(message);
  });

  test('tags are optional on a construct: none given, none emitted', () => {
    const stack = emptyStack();
    new ConfidentialLedger(stack, 'Ledger', ledgerProps({ tags: undefined }));
    expect(Template.synth(stack).only('azurerm_confidential_ledger')).not.toHaveProperty('tags');
  });
});
