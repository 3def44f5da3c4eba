/** The CLI over the in-repository local folders shaped like the corpora (scan-local-cases.ts). */
import { DETONATION_ACCOUNTS, detonations, flatTrail } from '../helpers/corpus-like.js';
import { scanLocalCases } from './scan-local-cases.js';

scanLocalCases({
  trail: { name: 'the in-repo flat trail (24 delivered files)', dir: flatTrail, files: 24 },
  detonations: { name: 'the in-repo detonation logs', dir: detonations, account: DETONATION_ACCOUNTS[0]! },
});
