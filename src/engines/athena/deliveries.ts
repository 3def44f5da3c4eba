/**
 * Incremental mode on Athena. Athena reads whole day partitions; the run must report only the
 * events of the log files delivered in its range and not handled before, as the scan engine does.
 * So, before a region's query starts, the engine lists that range's day folders (the scan
 * engine's selection rule, `selectLogFile`): the search's ledger sees every delivery (no-logs
 * checks, the files the next state remembers), and each row Athena returns is kept only when its
 * file (`"$path"`) is one of the range's.
 *
 * A file stamped within the margin but not yet listed (it reached the bucket after the listing,
 * before Athena's) is left to the next run, which lists it: this run does not record it as
 * handled. Older files that arrive that late are kept, as the next run will not look that far back.
 */
import pLimit from 'p-limit';
import type { Investigation } from '../../investigation.js';
import { baseName, classifyKey, dayFolders, parseLogFileName, regionPrefix } from '../../source/layout.js';
import { selectLogFile, type ListedLogFile } from '../../source/planner.js';
import type { LogLocation } from '../../source/trail.js';
import type { ObjectStore } from '../../source/types.js';
import { folderId, inRange, type DeliveryRange } from '../../state/cursor.js';

/** Day folders listed at once. */
const LIST_CONCURRENCY = 8;

export class AthenaDeliveries {
  /** Files listed and selected whose stamp is within the margin: `s3://bucket/key`. */
  private readonly recent = new Set<string>();
  /** Rows dropped because their file was outside the range, handled before, or not listed. */
  rowsOutsideRange = 0;

  constructor(
    private readonly range: DeliveryRange,
    /** Epoch ms from which a file must have been listed by this run to be read. */
    private readonly recentFrom: number,
    private readonly onLogFile?: (file: ListedLogFile) => void,
  ) {}

  static of(inv: Investigation, onLogFile?: (file: ListedLogFile) => void): AthenaDeliveries | undefined {
    if (!inv.delivery) return undefined;
    const marginMs = inv.incremental?.marginMs ?? 0;
    return new AthenaDeliveries(inv.delivery, inv.delivery.to.getTime() - marginMs, onLogFile);
  }

  /**
   * Lists the range's day folders of one region of a location (before its query starts); returns
   * how many files of the range this run reads there.
   */
  async list(
    store: Pick<ObjectStore, 'list'>,
    location: LogLocation,
    region: string,
    inv: Investigation,
    signal?: AbortSignal,
  ): Promise<number> {
    let selected = 0;
    const days = dayFolders({ since: this.range.from, until: this.range.to }, 0);
    const scope = {
      window: inv.window,
      regions: [region],
      accounts: inv.accounts,
      lagMs: 0,
      delivery: this.range,
      onLogFile: (file: ListedLogFile) => {
        this.onLogFile?.(file);
        if (file.selected && file.name.delivered.getTime() >= this.recentFrom) {
          this.recent.add(pathOf(location.bucket, file.key));
        }
      },
    };
    const limit = pLimit(LIST_CONCURRENCY);
    const prefixes = location.accounts.flatMap((account) =>
      days.map((day) => `${regionPrefix(location.prefix, location.orgId, account, region)}${day}/`),
    );
    await Promise.all(
      prefixes.map((prefix) =>
        limit(async () => {
          for await (const object of store.list(prefix, signal)) {
            if (classifyKey(object.key) !== 'log') continue;
            const name = parseLogFileName(baseName(object.key));
            if (name && selectLogFile(object.key, name, scope)) selected++;
          }
        }),
      ),
    );
    return selected;
  }

  /** Whether a row read from `path` belongs to this run. */
  keeps(path: string | null | undefined): boolean {
    const kept = this.decide(path);
    if (!kept) this.rowsOutsideRange++;
    return kept;
  }

  private decide(path: string | null | undefined): boolean {
    const key = typeof path === 'string' ? /^s3:\/\/[^/]+\/(.+)$/.exec(path)?.[1] : undefined;
    if (key === undefined) return false;
    const file = baseName(key);
    const name = parseLogFileName(file);
    if (!name) return false;
    if (!inRange(this.range, folderId(name.account, name.region), file, name.delivered)) return false;
    return name.delivered.getTime() < this.recentFrom || this.recent.has(path as string);
  }
}

function pathOf(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
