/**
 * Streaming results files (JSONL, JSON array, CSV). Memory stays bounded whatever the number of
 * matches: rows are serialised one by one and flushed in chunks; `write()` resolves once the
 * chunk it completed is on its way to disk, which is the back-pressure callers await. The file
 * is written under a temporary name and only `commit()` gives it its final name.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { MatchedEvent } from '../engines/types.js';
import type { OutputFormat } from '../investigation.js';
import { publishFile, tempPathFor } from './atomic-file.js';
import { CSV_HEADER, csvRow } from './csv-columns.js';

export { atomicWriteFile } from './atomic-file.js';

export interface ResultWriter {
  /** Where the file will be once committed. */
  readonly path: string;
  /** Events written so far. */
  readonly count: number;
  /** Appends one event. Await it before the next write (back-pressure). */
  write(event: MatchedEvent): Promise<void>;
  /** Finishes the file and gives it its final name (fsync + rename). */
  commit(): Promise<void>;
  /** Drops the temporary file; the final name is never created. Safe to call twice or after commit. */
  abort(): Promise<void>;
}

/** Bytes gathered before a write to disk. */
const CHUNK_BYTES = 256 * 1024;

const CSV_OPTIONS = {
  // RFC 4180 line ends.
  record_delimiter: 'windows',
  // Cells starting with = + - @ (or tab / CR) get a leading ' so a spreadsheet never runs
  // attacker-written text (e.g. a userAgent of `=HYPERLINK(...)`) as a formula.
  escape_formulas: true,
} as const;

interface Format {
  header: string;
  row(event: MatchedEvent, index: number): string;
  footer(count: number): string;
}

/** One JSON text per line; re-serialised if the engine's text spans lines (pretty-printed input). */
function oneLineJson(event: MatchedEvent): string {
  return /[\r\n]/.test(event.json) ? JSON.stringify(event.record) : event.json;
}

const FORMATS: Record<OutputFormat, Format> = {
  jsonl: { header: '', row: (e) => `${oneLineJson(e)}\n`, footer: () => '' },
  json: {
    header: '[',
    row: (e, i) => `${i === 0 ? '\n' : ',\n'}${oneLineJson(e)}`,
    footer: (count) => (count === 0 ? ']\n' : '\n]\n'),
  },
  csv: {
    header: stringify([CSV_HEADER as string[]], CSV_OPTIONS),
    row: (e) => stringify([csvRow(e.record)], CSV_OPTIONS),
    footer: () => '',
  },
};

class FileResultWriter implements ResultWriter {
  private pending: string[] = [];
  private pendingBytes = 0;
  private written = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly format: Format,
  ) {
    this.push(format.header);
  }

  get count(): number {
    return this.written;
  }

  private push(text: string): void {
    if (text === '') return;
    this.pending.push(text);
    this.pendingBytes += text.length;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.write(chunk, null, 'utf8');
  }

  async write(event: MatchedEvent): Promise<void> {
    if (this.state !== 'open') throw new Error(`results file ${this.path} is already ${this.state}`);
    this.push(this.format.row(event, this.written));
    this.written++;
    if (this.pendingBytes >= CHUNK_BYTES) await this.flush();
  }

  async commit(): Promise<void> {
    if (this.state !== 'open') throw new Error(`results file ${this.path} is already ${this.state}`);
    try {
      this.push(this.format.footer(this.written));
      await this.flush();
      this.state = 'committed';
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
    this.pending = [];
    await this.handle.close().catch(() => {});
    await rm(this.tempPath, { force: true });
  }
}

/** Opens `dir/fileName` for writing matches in `format`; nothing appears under that name before commit(). */
export async function openResultWriter(
  dir: string,
  fileName: string,
  format: OutputFormat,
): Promise<ResultWriter> {
  const finalPath = path.join(dir, fileName);
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx');
  return new FileResultWriter(finalPath, tempPath, handle, FORMATS[format]);
}
