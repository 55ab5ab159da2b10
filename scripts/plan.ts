/**
 * `npm run plan -- --env <name>`: synthesizes every environment, then runs terraform init, plan
 * (saved to tfplan) and show in the stack's folder, as the pipelines do. No cdktf CLI involved.
 */
import { terraformCli } from './terraform/cli';

terraformCli('plan');
