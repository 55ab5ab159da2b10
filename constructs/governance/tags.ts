import { Construct, InvalidPropError, isLiteral } from '../core';

/** Data classifications a resource can carry in its `data-classification` tag. */
export const DATA_CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

/** The tag keys this project's tag policy requires (guardrail ACL-T1), rendered from {@link TagSet}. */
export const REQUIRED_TAG_KEYS = ['environment', 'owner', 'cost-center', 'data-classification'] as const;

/** Azure tags as every construct takes them (AVM `tags`): a plain map, values may be references. */
export type Tags = Readonly<Record<string, string>>;

/** This project's tag policy: the required tags, plus any others. */
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

/** Renders this project's {@link TagSet} into a {@link Tags} map, validating the policy and Azure's limits. */
export function renderTags(scope: Construct, tags: TagSet): Tags {
  const required: Record<(typeof REQUIRED_TAG_KEYS)[number], string> = {
    environment: tags.environment,
    owner: tags.owner,
    'cost-center': tags.costCenter,
    'data-classification': tags.dataClassification,
  };
  for (const [key, value] of Object.entries(required)) {
    if (isLiteral(value) && value.trim() === '') {
      throw new InvalidPropError(scope, `tags.${key}`, value, 'is empty; every resource must carry a non-empty value');
    }
  }
  const extra = tags.extra ?? {};
  for (const key of Object.keys(extra)) {
    if ((REQUIRED_TAG_KEYS as readonly string[]).includes(key)) {
      throw new InvalidPropError(scope, `tags.extra.${key}`, extra[key], 'redefines a required tag; set it through its own field');
    }
  }
  return checkTags(scope, { ...required, ...extra })!;
}

/** Checks a construct's `tags` against Azure's limits (literal keys and values only) and returns them. */
export function checkTags(scope: Construct, tags: Tags | undefined): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  if (Object.keys(tags).length > MAX_TAGS) {
    throw new InvalidPropError(scope, 'tags', Object.keys(tags).length, `tags exceed Azure's limit of ${MAX_TAGS}`);
  }
  for (const [key, value] of Object.entries(tags)) {
    if (isLiteral(key) && (key.length > MAX_KEY_LENGTH || /[<>%&\\?/]/.test(key))) {
      throw new InvalidPropError(
        scope,
        'tags',
        key,
        `is not a valid Azure tag name (at most ${MAX_KEY_LENGTH} characters, none of <>%&\\?/)`,
      );
    }
    // values may arrive escaped for Terraform (terraformLiteral); Azure counts the text it receives.
    if (isLiteral(value) && value.replace(/([$%])\1\{/g, '$1{').length > MAX_VALUE_LENGTH) {
      throw new InvalidPropError(scope, `tags.${key}`, value, `exceeds Azure's limit of ${MAX_VALUE_LENGTH} characters`);
    }
  }
  return { ...tags };
}
