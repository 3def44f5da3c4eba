/** A Sigma pack through the whole product (one-pass-cases.ts): every built-in rule. */
import { onePassScanCases } from './one-pass-cases.js';

onePassScanCases({ rules: () => 'builtin:all', minRules: 15, cliChecks: true });
