/**
 * Command line for the generator:
 *   npx tsx tools/generate/cli.ts --out /tmp/logs --accounts 111122223333 --regions us-east-1,eu-west-1 \
 *     --start 2023-07-10T00:00:00Z --hours 6
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigurationError } from '../../src/errors.js';
import { writeLogsToFolder } from './generate.js';
import type { GenerateOptions } from './options.js';

function list(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(`"${value}" is not a number`);
  return n;
}

function range(value: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`"${value}" is not a count or a range like 20-100`);
  const min = Number(m[1]);
  return [min, m[2] === undefined ? min : Number(m[2])];
}

const program = new Command()
  .name('generate-cloudtrail')
  .description('Write deterministic, realistic CloudTrail log files in the S3 delivery layout into a folder.')
  .requiredOption('--out <dir>', 'output folder (keys become relative paths)')
  .option('--seed <seed>', 'PRNG seed; same seed, same bytes', '1')
  .option('--accounts <ids>', 'comma-separated 12-digit account ids', list, ['111122223333'])
  .option('--org <id>', 'organization id (o-…): organization trail layout')
  .option('--prefix <prefix>', 'trail key prefix', '')
  .option('--regions <names>', 'comma-separated regions', list, ['us-east-1'])
  .option('--start <iso>', 'first delivery slot, on a whole minute', '2023-07-10T00:00:00Z')
  .option('--hours <n>', 'length of the period in hours', number)
  .option('--days <n>', 'length of the period in days', number)
  .option('--files-per-hour <n>', 'files per hour per account and region (CloudTrail: ~12)', number, 12)
  .option('--records <min-max>', 'records per file', range, [20, 100] as [number, number])
  .option('--duplicates <share>', 'share of global events also delivered in another region', number, 0.1)
  .option('--digests', 'also write CloudTrail-Digest files')
  .option('--digest-every-hours <n>', 'one digest per account and region every n hours', number, 1)
  .option('--insights', 'also write a CloudTrail-Insight file')
  .option('--foreign', 'also write an AWS Config snapshot file')
  .option('--bucket <name>', 'bucket name recorded inside digest files', 'acme-cloudtrail-logs');

async function main(): Promise<void> {
  program.parse();
  const o = program.opts<{
    out: string;
    seed: string;
    accounts: string[];
    org?: string;
    prefix: string;
    regions: string[];
    start: string;
    hours?: number;
    days?: number;
    filesPerHour: number;
    records: [number, number];
    duplicates: number;
    digests?: boolean;
    digestEveryHours: number;
    insights?: boolean;
    foreign?: boolean;
    bucket: string;
  }>();
  const options: GenerateOptions = {
    seed: o.seed,
    accounts: o.accounts,
    prefix: o.prefix,
    regions: o.regions,
    start: o.start,
    filesPerHour: o.filesPerHour,
    recordsPerFile: o.records,
    globalDuplicateShare: o.duplicates,
    digests: !!o.digests,
    digestEveryHours: o.digestEveryHours,
    insights: !!o.insights,
    foreignObjects: !!o.foreign,
    bucket: o.bucket,
    ...(o.org !== undefined ? { organizationId: o.org } : {}),
    ...(o.hours !== undefined ? { hours: o.hours } : {}),
    ...(o.days !== undefined ? { days: o.days } : {}),
  };
  const result = await writeLogsToFolder(o.out, options);
  const { log, digest, insight, foreign } = result.objects;
  process.stdout.write(
    `wrote ${log} log files (${result.records} records, ${result.duplicateRecords} duplicate copies), ` +
      `${digest} digests, ${insight} insight, ${foreign} foreign objects; ${result.bytes} bytes to ${o.out}\n`,
  );
}

main().catch((err: unknown) => {
  if (err instanceof ConfigurationError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  throw err;
});
