/** Whole documents inside files (concatenated-docs-cases.ts), built from the in-repo folders shaped like the corpora. */
import { detonations, flatTrail } from '../helpers/corpus-like.js';
import { concatenatedDocsCases } from './concatenated-docs-cases.js';

concatenatedDocsCases({ trail: flatTrail, detonations });
