/**
 * How a worker hands its matches to the main thread: every match's JSON in one UTF-8 buffer
 * (transferred, not copied, and outside the JavaScript heap), and the main thread decodes each
 * text only when a writer asks for it. Thousands of strings cloned into the main heap, kept while
 * they wait their turn in plan order, would otherwise survive collections next to the eventIDs
 * that de-duplication keeps for the whole run, and fragment the heap: a big export's resident
 * memory grew with its match count.
 */
import type { EventFields, MatchedEvent } from '../types.js';
import type { ObjectScanResult, ScanMatch } from './scan-object.js';

export interface PackedMatches {
  /** The matches' JSON texts, back to back, UTF-8. */
  text: Uint8Array;
  /** Where each match's text ends in `text`. */
  ends: Uint32Array;
  eventIDs: Array<string | undefined>;
  regions: Array<string | undefined>;
  fields: EventFields[];
  /** With Sigma rules: each match's rule ids. */
  ruleIds?: Array<string[] | undefined>;
}

/** An object's scan result with its matches packed. */
export type PackedScanResult = Omit<ObjectScanResult, 'matches'> & { matches: PackedMatches };

export function packMatches(matches: readonly ScanMatch[]): PackedMatches {
  let size = 0;
  for (const m of matches) size += Buffer.byteLength(m.json, 'utf8');
  const text = Buffer.allocUnsafeSlow(size);
  const ends = new Uint32Array(matches.length);
  let at = 0;
  matches.forEach((m, i) => {
    at += text.write(m.json, at, 'utf8');
    ends[i] = at;
  });
  return {
    text,
    ends,
    eventIDs: matches.map((m) => m.eventID),
    regions: matches.map((m) => m.region),
    fields: matches.map((m) => m.fields),
    ...(matches.some((m) => m.ruleIds) ? { ruleIds: matches.map((m) => m.ruleIds) } : {}),
  };
}

export function packResult(result: ObjectScanResult): PackedScanResult {
  return { ...result, matches: packMatches(result.matches) };
}

/** The buffers to transfer along with a packed result. */
export function transferList(result: PackedScanResult): ArrayBuffer[] {
  return [result.matches.text.buffer as ArrayBuffer, result.matches.ends.buffer as ArrayBuffer];
}

/** A match read from a packed batch: its text is decoded, and its record parsed, on first use. */
class PackedEvent implements MatchedEvent {
  private text: string | undefined;
  private parsed: Record<string, unknown> | undefined;

  constructor(
    private readonly batch: PackedMatches,
    private readonly index: number,
  ) {}

  get json(): string {
    if (this.text === undefined) {
      const bytes = this.jsonBytes;
      this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    }
    return this.text;
  }

  /** A view of the batch's buffer: one line (workers re-serialise records that span lines). */
  get jsonBytes(): Uint8Array {
    const { text, ends } = this.batch;
    const start = this.index === 0 ? 0 : (ends[this.index - 1] as number);
    return text.subarray(start, ends[this.index]);
  }

  get record(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }

  get eventID(): string | undefined {
    return this.batch.eventIDs[this.index];
  }

  get region(): string | undefined {
    return this.batch.regions[this.index];
  }

  get fields(): EventFields {
    return this.batch.fields[this.index] as EventFields;
  }

  get ruleIds(): string[] | undefined {
    return this.batch.ruleIds?.[this.index];
  }
}

export function unpackMatches(batch: PackedMatches): MatchedEvent[] {
  return Array.from({ length: batch.ends.length }, (_, i) => new PackedEvent(batch, i));
}
