/**
 * The only module that imports the CDK for Terraform framework directly.
 *
 * cdktf is archived upstream and continued as CDK Terrain (`cdktn`); keeping every framework
 * import behind this file makes that move a change to a handful of lines.
 */
export { Annotations, App, Aspects, AzurermBackend, LocalBackend, Lazy, TerraformOutput, TerraformResource, Token } from 'cdktf';
// every stack renders valid HCL too (`cdktf synth --hcl`): see hcl.ts.
export { HclSafeTerraformStack as TerraformStack } from './hcl';
export type { IAspect } from 'cdktf';
// how cdktf derives a resource's logical id from its construct path; for keeping ids across refactors.
export { makeUniqueId } from 'cdktf/lib/private/unique';
export { Construct } from 'constructs';
export type { IConstruct } from 'constructs';
export * from './tokens-and-errors';
