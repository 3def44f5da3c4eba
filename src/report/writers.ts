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

/** A piece of the file: text, or bytes already UTF-8. */
type Piece = string | Uint8Array;

interface Format {
  header: string;
  /** Appends one event's pieces to `out`. */
  row(event: MatchedEvent, index: number, out: Piece[]): void;
  footer(count: number): string;
}

/**
 * One JSON text per line: the engine's bytes when it has them (always one line), else its text,
 * re-serialised if that spans lines (pretty-printed input).
 */
function oneLineJson(event: MatchedEvent): Piece {
  if (event.jsonBytes) return event.jsonBytes;
  return /[\r\n]/.test(event.json) ? JSON.stringify(event.record) : event.json;
}

const FORMATS: Record<OutputFormat, Format> = {
  jsonl: { header: '', row: (e, _, out) => out.push(oneLineJson(e), '\n'), footer: () => '' },
  json: {
    header: '[',
    row: (e, i, out) => out.push(i === 0 ? '\n' : ',\n', oneLineJson(e)),
    footer: (count) => (count === 0 ? ']\n' : '\n]\n'),
  },
  csv: {
    header: stringify([CSV_HEADER as string[]], CSV_OPTIONS),
    row: (e, _, out) => out.push(stringify([csvRow(e.record)], CSV_OPTIONS)),
    footer: () => '',
  },
};

/** The pieces as one buffer: runs of text are encoded once, bytes copied as they are. */
function concatPieces(pieces: readonly Piece[]): Buffer {
  const parts: Uint8Array[] = [];
  let text = '';
  for (const p of pieces) {
    if (typeof p === 'string') text += p;
    else {
      if (text !== '') parts.push(Buffer.from(text, 'utf8'));
      text = '';
      parts.push(p);
    }
  }
  if (text !== '') parts.push(Buffer.from(text, 'utf8'));
  return Buffer.concat(parts);
}

class FileResultWriter implements ResultWriter {
  private pending: Piece[] = [];
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
    const chunk = concatPieces(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    // A write may be partial (a full disk shows up as ENOSPC on the next one).
    for (let at = 0; at < chunk.length;) at += (await this.handle.write(chunk, at)).bytesWritten;
  }

  async write(event: MatchedEvent): Promise<void> {
    if (this.state !== 'open') throw new Error(`results file ${this.path} is already ${this.state}`);
    const from = this.pending.length;
    this.format.row(event, this.written, this.pending);
    for (let i = from; i < this.pending.length; i++) this.pendingBytes += this.pending[i]!.length;
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
