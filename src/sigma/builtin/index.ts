/**
 * The built-in packs, as YAML text compiled into the bundle (no file reads at run time).
 * Named on the command line as `builtin:<name>`; `builtin:all` loads them all.
 */
import { CREDENTIAL_ACCESS } from './credential-access.js';
import { IAM_PERSISTENCE } from './iam-persistence.js';
import { ROOT_USAGE } from './root-usage.js';
import { TRAIL_TAMPERING } from './trail-tampering.js';

export const BUILTIN_PACKS: Readonly<Record<string, string>> = {
  'trail-tampering': TRAIL_TAMPERING,
  'root-usage': ROOT_USAGE,
  'iam-persistence': IAM_PERSISTENCE,
  'credential-access': CREDENTIAL_ACCESS,
};
