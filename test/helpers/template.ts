import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { Testing } from 'cdktf';
import { TerraformStack } from '../../constructs/core';

type Resource = Record<string, unknown>;

/** The synthesized JSON of a stack, with validations run (cdktf skips them unless asked). */
export class Template {
  static synth(stack: TerraformStack): Template {
    return new Template(JSON.parse(Testing.synth(stack, true)));
  }

  private constructor(readonly json: Record<string, any>) {}

  /** Resources of one Terraform type, keyed by logical id. */
  resources(type: string): Record<string, Resource> {
    return this.json.resource?.[type] ?? {};
  }

  /** The single resource of a type; fails when there are none or several. */
  only(type: string): Resource {
    const all = Object.values(this.resources(type));
    if (all.length !== 1) throw new Error(`expected exactly one ${type}, found ${all.length}`);
    return all[0];
  }

  count(type: string): number {
    return Object.keys(this.resources(type)).length;
  }
}

/** cdktf's test helpers, re-exported so that tests import the framework in one place. */
export { Testing };

/** A stack with only the azurerm provider, to put constructs in. */
export function emptyStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  return stack;
}
