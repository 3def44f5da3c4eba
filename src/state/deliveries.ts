/**
 * What listing saw of the log files' deliveries, collected while the scan engine plans: how many
 * files each asked account and region delivered in the searched range, the newest delivery stamp,
 * and (incremental mode) the files a run read, for the next state. Bounded: files are kept only
 * when their stamp is within `keepFilesFrom` (the state's margin).
 */
import type { ListedLogFile } from '../source/planner.js';
import { baseName } from '../source/layout.js';
import { folderId, type DeliveryRange, type HandledFile } from './cursor.js';

export class DeliveryLedger {
  /** Newest delivery stamp of any log file listed in scope (read or not). */
  newest: Date | undefined;
  /** Log files delivered in the searched range, per account and per region (read or handled before). */
  readonly perAccount = new Map<string, number>();
  readonly perRegion = new Map<string, number>();
  /** Files read whose stamp is at or after `keepFilesFrom` (incremental mode). */
  readonly files: HandledFile[] = [];
  /** Files in the range not read: an earlier run handled them (incremental mode). */
  alreadyHandled = 0;

  constructor(
    /** The range whose files count as delivered: the delivery range, else the window itself. */
    private readonly range: { from: Date; to: Date },
    private readonly keepFilesFrom?: number,
  ) {}

  static forRange(range: DeliveryRange, marginMs: number): DeliveryLedger {
    return new DeliveryLedger(range, range.to.getTime() - marginMs);
  }

  readonly observe = (file: ListedLogFile): void => {
    const { name, selected } = file;
    const t = name.delivered.getTime();
    if (!this.newest || t > this.newest.getTime()) this.newest = name.delivered;
    const inRange = t >= this.range.from.getTime() && t < this.range.to.getTime();
    if (inRange && !selected) this.alreadyHandled++;
    if (selected || inRange) {
      this.perAccount.set(name.account, (this.perAccount.get(name.account) ?? 0) + 1);
      this.perRegion.set(name.region, (this.perRegion.get(name.region) ?? 0) + 1);
    }
    if (selected && this.keepFilesFrom !== undefined && t >= this.keepFilesFrom) {
      this.files.push({
        folder: folderId(name.account, name.region),
        name: baseName(file.key),
        delivered: name.delivered,
      });
    }
  };

  get total(): number {
    let n = 0;
    for (const c of this.perRegion.values()) n += c;
    return n;
  }
}
