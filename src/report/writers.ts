/**
 * Streaming results files (JSONL, JSON array, CSV). Memory stays bounded whatever the number of
 * matches: rows are serialised one by one and copied into one reused chunk, written to disk when
 * full. `write()` returns a promise only for the event that filled the chunk, settled once it is
 * written, which is the back-pressure callers await; on a million-match export a promise per event
 * was half of the main thread's garbage. The file is written under a temporary name and only
 * `commit()` gives it its final name.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { MatchedEvent } from '../engines/types.js';
import type { OutputFormat } from '../investigation.js';
import { publishFile, tempPathFor } from './atomic-file.js';
import { CSV_HEADER, csvLine, csvRow } from './csv-columns.js';

export { atomicWriteFile } from './atomic-file.js';

export interface ResultWriter {
  /** Where the file will be once committed. */
  readonly path: string;
  /** Events written so far. */
  readonly count: number;
  /**
   * Appends one event. Most events are only copied into memory: undefined. When a chunk has to
   * be written first, a promise: await it before the next write or commit (back-pressure; a write
   * before it settles throws). A failure to write rejects that promise.
   */
  write(event: MatchedEvent): Promise<void> | undefined;
  /** Finishes the file and gives it its final name (fsync + rename). */
  commit(): Promise<void>;
  /** Drops the temporary file; the final name is never created. Safe to call twice or after commit. */
  abort(): Promise<void>;
}

/** Bytes gathered before a write to disk: the chunk's size. */
const CHUNK_BYTES = 256 * 1024;

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
    // csvLine quotes every line break and guards formulas (a userAgent of `=HYPERLINK(...)`).
    header: csvLine(CSV_HEADER),
    row: (e, _, out) => out.push(csvLine(csvRow(e.record))),
    footer: () => '',
  },
};

/** The file's bytes gather in one chunk, written when the next piece does not fit. */
class FileResultWriter implements ResultWriter {
  /**
   * Reused for the whole file: a chunk allocated per write (256 KB of malloc'd memory each, freed
   * only by a later garbage collection) was most of what the main thread allocated per event.
   */
  private readonly chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private used = 0;
  /** One event's pieces, emptied once they are copied. */
  private readonly row: Piece[] = [];
  private written = 0;
  /** A chunk is being written: the next write or commit must wait for it. */
  private busy = false;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
    private readonly format: Format,
  ) {
    this.copy(format.header);
  }

  get count(): number {
    return this.written;
  }

  write(event: MatchedEvent): Promise<void> | undefined {
    this.checkWritable();
    this.format.row(event, this.written, this.row);
    this.written++;
    return this.append(this.row);
  }

  /** Copies `pieces` into the chunk and empties the array; a promise when a chunk had to be written. */
  private append(pieces: Piece[]): Promise<void> | undefined {
    for (let i = 0; i < pieces.length; i++) {
      if (this.copy(pieces[i]!)) continue;
      const rest = pieces.slice(i);
      pieces.length = 0;
      return this.track(this.spill(rest));
    }
    pieces.length = 0;
    return undefined;
  }

  /** Copies a piece into the chunk; false when it does not fit in the room left. */
  private copy(piece: Piece): boolean {
    const room = this.chunk.length - this.used;
    if (typeof piece !== 'string') {
      if (piece.length > room) return false;
      this.chunk.set(piece, this.used);
      this.used += piece.length;
      return true;
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most texts need no measuring.
    if (piece.length * 3 > room && Buffer.byteLength(piece, 'utf8') > room) return false;
    this.used += this.chunk.write(piece, this.used, 'utf8');
    return true;
  }

  /** The chunk written out, then `pieces` copied after it (any bigger than a chunk written as it is). */
  private async spill(pieces: readonly Piece[]): Promise<void> {
    for (const piece of pieces) {
      if (this.copy(piece)) continue;
      await this.writeChunk();
      if (!this.copy(piece)) await this.writeAll(typeof piece === 'string' ? Buffer.from(piece) : piece);
    }
  }

  private async writeChunk(): Promise<void> {
    await this.writeAll(this.chunk.subarray(0, this.used));
    this.used = 0;
  }

  private async writeAll(bytes: Uint8Array): Promise<void> {
    // A write may be partial (a full disk shows up as ENOSPC on the next one).
    for (let at = 0; at < bytes.length;) {
      at += (await this.handle.write(bytes, at)).bytesWritten;
    }
  }

  /** Marks the writer busy until `writing` settles: the chunk must not change while it is written. */
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
      this.row.push(this.format.footer(this.written));
      await this.append(this.row);
      await this.writeChunk();
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
    this.row.length = 0;
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
