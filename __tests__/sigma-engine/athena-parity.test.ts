/** Rule packs on both engines (athena-parity-cases.ts) over the in-repo flat trail. */
import { flatTrail } from '../helpers/corpus-like.js';
import { athenaParityCases } from './athena-parity-cases.js';

athenaParityCases(flatTrail);
