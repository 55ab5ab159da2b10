/**
 * `npm run deploy -- --env <name> [--auto-approve]`: `npm run plan`, then applies exactly the plan
 * it showed, after a typed "yes" (or `--auto-approve`). No cdktf CLI involved.
 */
import { terraformCli } from './terraform/cli';

terraformCli('deploy');
