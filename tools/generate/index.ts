/** Public API of the CloudTrail log generator (examples, tests, benchmark). */
export {
  generateLogs,
  generateObjects,
  writeLogsToFolder,
  encodeLogFile,
  serialiseLogFile,
  gzipDeterministic,
  type LogFile,
  type GeneratedObject,
  type ObjectKind,
  type WriteResult,
} from './generate.js';
export type { GenerateOptions, PlantedEvent } from './options.js';
export type { CloudTrailRecord } from './record.js';
export { CATALOGUE, SELECTIVITY, type EventSpec } from './catalogue.js';
