import { Construct, InvalidPropError } from '../core';

/** Data classifications a resource can carry in its `data-classification` tag. */
export const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

/** The tag keys every resource must carry, rendered from {@link TagSet}. */
export const REQUIRED_TAG_KEYS = ['environment', 'owner', 'cost-center', 'data-classification'] as const;

/** Tags for a resource: the required ones, plus any others. */
export interface TagSet {
  readonly environment: string;
  /** team or person accountable for the resource. */
  readonly owner: string;
  readonly costCenter: string;
  readonly dataClassification: DataClassification;
  /**
   * Further tags, merged after the required ones; they may not redefine a required key.
   * @default - none
   */
  readonly extra?: Readonly<Record<string, string>>;
}

// azure resource manager limits: 50 tags, keys up to 512 characters, values up to 256.
const MAX_TAGS = 50;
const MAX_KEY_LENGTH = 512;
const MAX_VALUE_LENGTH = 256;

/** Renders a {@link TagSet} into the `tags` map of an azurerm resource, validating Azure's limits. */
export function renderTags(scope: Construct, tags: TagSet): Record<string, string> {
  const required: Record<(typeof REQUIRED_TAG_KEYS)[number], string> = {
    environment: tags.environment,
    owner: tags.owner,
    'cost-center': tags.costCenter,
    'data-classification': tags.dataClassification,
  };
  for (const [key, value] of Object.entries(required)) {
    if (value.trim() === '') {
      throw new InvalidPropError(scope, `tags.${key}`, value, 'is empty; every resource must carry a non-empty value');
    }
  }
  const extra = tags.extra ?? {};
  for (const key of Object.keys(extra)) {
    if ((REQUIRED_TAG_KEYS as readonly string[]).includes(key)) {
      throw new InvalidPropError(scope, `tags.extra.${key}`, extra[key], 'redefines a required tag; set it through its own field');
    }
  }
  const merged = { ...required, ...extra };
  if (Object.keys(merged).length > MAX_TAGS) {
    throw new InvalidPropError(scope, 'tags', Object.keys(merged).length, `tags exceed Azure's limit of ${MAX_TAGS}`);
  }
  for (const [key, value] of Object.entries(merged)) {
    if (key.length > MAX_KEY_LENGTH || /[<>%&\\?/]/.test(key)) {
      throw new InvalidPropError(
        scope,
        'tags',
        key,
        `is not a valid Azure tag name (at most ${MAX_KEY_LENGTH} characters, none of <>%&\\?/)`,
      );
    }
    // values may arrive escaped for Terraform (terraformLiteral); Azure counts the text it receives.
    if (value.replace(/([$%])\1\{/g, '$1{').length > MAX_VALUE_LENGTH) {
      throw new InvalidPropError(scope, `tags.${key}`, value, `exceeds Azure's limit of ${MAX_VALUE_LENGTH} characters`);
    }
  }
  return merged;
}
