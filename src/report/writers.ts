/**
 * Results files (JSONL, JSON array, CSV), rows in time order (sorted-rows.ts: eventTime, then
 * eventID), memory bounded whatever the number of matches: each row is serialised as it comes and
 * kept as bytes, in memory up to a run's size and in sorted runs on disk past it; `commit()`
 * merges them into the file through one reused chunk. `write()` returns a promise only when a run
 * has to be written out, which is the back-pressure callers await (a promise per event was half of
 * the main thread's garbage on a million-match export). The file is written under a temporary
 * name and only `commit()` gives it its final name.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { MatchedEvent } from '../engines/types.js';
import type { OutputFormat } from '../investigation.js';
import { eventTimeMs } from '../engines/scan/record-checks.js';
import { publishFile, tempPathFor } from './atomic-file.js';
import { csvColumns, csvLine, csvRowLine, type CsvColumnOptions } from './csv-columns.js';
import { SortedRows, type Piece, type RowKey, type SortedRowsOptions } from './sorted-rows.js';

export { atomicWriteFile } from './atomic-file.js';

export interface ResultWriter {
  /** Where the file will be once committed. */
  readonly path: string;
  /** Events written so far. */
  readonly count: number;
  /**
   * Appends one event. Most events are only copied into memory: undefined. When a run of rows has
   * to be written out first, a promise: await it before the next write or commit (back-pressure; a
   * write before it settles throws). A failure to write rejects that promise.
   */
  write(event: MatchedEvent): Promise<void> | undefined;
  /** Finishes the file and gives it its final name (fsync + rename). */
  commit(): Promise<void>;
  /** Drops the temporary file; the final name is never created. Safe to call twice or after commit. */
  abort(): Promise<void>;
}

/** Bytes gathered before a write to disk: the chunk's size. */
const CHUNK_BYTES = 256 * 1024;

interface Format {
  header: string;
  /** Appends one event's pieces to `out`. */
  row(event: MatchedEvent, out: Piece[]): void;
  /** What goes before the row at `index` of the file. */
  separator(index: number): string;
  footer(count: number): string;
}

/** What the results hold beyond the records (CSV: columns of their own). */
export interface ResultWriterOptions extends CsvColumnOptions {
  /** How rows are sorted (tests spill small runs). */
  sort?: SortedRowsOptions;
}

/** Where a row goes in the file: by eventTime (unreadable: last), then eventID. */
export function resultKey(event: MatchedEvent): RowKey {
  const time = event.fields ? event.fields.eventTime : event.record.eventTime;
  return { timeMs: eventTimeMs(time), eventID: event.eventID };
}

/**
 * One JSON text per line: the engine's bytes when it has them (always one line), else its text,
 * re-serialised if that spans lines (pretty-printed input).
 */
function oneLineJson(event: MatchedEvent): Piece {
  if (event.jsonBytes) return event.jsonBytes;
  return /[\r\n]/.test(event.json) ? JSON.stringify(event.record) : event.json;
}

/** A line's end, as bytes: copied, not encoded, after each row. */
const NEWLINE = new Uint8Array([0x0a]);

function formatOf(format: OutputFormat, options: CsvColumnOptions): Format {
  switch (format) {
    case 'jsonl':
      return {
        header: '',
        row: (e, out) => out.push(oneLineJson(e), NEWLINE),
        separator: () => '',
        footer: () => '',
      };
    case 'json':
      return {
        header: '[',
        row: (e, out) => out.push(oneLineJson(e)),
        separator: (i) => (i === 0 ? '\n' : ',\n'),
        footer: (count) => (count === 0 ? ']\n' : '\n]\n'),
      };
    case 'csv': {
      // csvLine quotes every line break and guards formulas (a userAgent of `=HYPERLINK(...)`).
      const columns = csvColumns(options);
      return {
        header: csvLine(columns.map(([header]) => header)),
        // The engine's row when it made one (its workers had the record parsed).
        row: (e, out) => out.push(e.csvRow ?? csvRowLine(e.record, columns)),
        separator: () => '',
        footer: () => '',
      };
    }
  }
}

/** Rows gather sorted (SortedRows); at commit they are copied into one chunk, written when full. */
class FileResultWriter implements ResultWriter {
  /**
   * Reused for the whole file: a chunk allocated per write (256 KB of malloc'd memory each, freed
   * only by a later garbage collection) was most of what the main thread allocated per event.
   */
  private chunk: Buffer | undefined;
  private used = 0;
  /** One event's pieces, emptied once they are copied. */
  private readonly row: Piece[] = [];
  private readonly rows: SortedRows;
  private written = 0;
  /** A run of rows is being written: the next write or commit must wait for it. */
  private busy = false;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly format: Format,
    sort: SortedRowsOptions | undefined,
  ) {
    this.rows = new SortedRows(tempPathFor(`${path}.sort`), sort);
  }

  get count(): number {
    return this.written;
  }

  write(event: MatchedEvent): Promise<void> | undefined {
    this.checkWritable();
    this.format.row(event, this.row);
    const key = resultKey(event);
    const waiting = this.rows.add(key, this.row);
    this.row.length = 0;
    this.written++;
    return waiting && this.track(waiting);
  }

  /** Copies text into the chunk; a promise when the chunk had to be written first. */
  private text(piece: string): Promise<void> | undefined {
    if (piece === '') return undefined;
    const chunk = (this.chunk ??= Buffer.allocUnsafeSlow(CHUNK_BYTES));
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most texts need no measuring.
    if (piece.length * 3 <= chunk.length - this.used) {
      this.used += chunk.write(piece, this.used, 'utf8');
      return undefined;
    }
    const bytes = Buffer.from(piece, 'utf8');
    return this.bytes(bytes, 0, bytes.length);
  }

  /** Copies `bytes[start, end)` into the chunk; a promise when the chunk had to be written first. */
  private bytes(bytes: Buffer, start: number, end: number): Promise<void> | undefined {
    const chunk = (this.chunk ??= Buffer.allocUnsafeSlow(CHUNK_BYTES));
    if (end - start <= chunk.length - this.used) {
      this.used += bytes.copy(chunk, this.used, start, end);
      return undefined;
    }
    return (async () => {
      await this.writeChunk();
      if (end - start > chunk.length) await this.writeAll(bytes.subarray(start, end));
      else this.used += bytes.copy(chunk, this.used, start, end);
    })();
  }

  private async writeChunk(): Promise<void> {
    if (this.chunk && this.used > 0) await this.writeAll(this.chunk.subarray(0, this.used));
    this.used = 0;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    // A write may be partial (a full disk shows up as ENOSPC on the next one).
    for (let at = 0; at < bytes.length;) {
      at += (await this.handle.write(bytes, at)).bytesWritten;
    }
  }

  /** Marks the writer busy until `writing` settles: rows must not be added while a run is written. */
  private track(writing: Promise<void>): Promise<void> {
    this.busy = true;
    return writing.finally(() => (this.busy = false));
  }

  private checkWritable(): void {
    if (this.state !== 'open') throw new Error(`results file ${this.path} is already ${this.state}`);
    if (this.busy) throw new Error(`results file ${this.path}: the previous write has not finished`);
  }

  async commit(): Promise<void> {
    this.checkWritable();
    try {
      await this.text(this.format.header);
      let index = 0;
      // The separator, if any, is short: always copied, never waited for, except at a chunk's end.
      await this.rows.drain((bytes, start, end) => {
        const separator = this.format.separator(index++);
        const before = separator === '' ? undefined : this.text(separator);
        if (before) return before.then(() => this.bytes(bytes, start, end));
        return this.bytes(bytes, start, end);
      });
      await this.text(this.format.footer(this.written));
      await this.writeChunk();
      this.state = 'committed';
      await this.rows.close();
      await publishFile(this.handle, this.tempPath, this.path);
    } catch (err) {
      this.state = 'open';
      await this.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.row.length = 0;
    await this.rows.close();
    await this.handle.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}

/**
 * Opens `dir/fileName` for writing matches in `format`, sorted by time; nothing appears under that
 * name before commit().
 */
export async function openResultWriter(
  dir: string,
  fileName: string,
  format: OutputFormat,
  options: ResultWriterOptions = {},
): Promise<ResultWriter> {
  const finalPath = path.join(dir, fileName);
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx');
  return new FileResultWriter(finalPath, tempPath, handle, formatOf(format, options), options.sort);
}
