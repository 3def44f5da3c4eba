/**
 * De-duplication on eventID. Real logs repeat events across files (global-service events land in
 * several region folders); the first occurrence in output order is kept.
 */
export class EventDeduper {
  private readonly seen = new Set<string>();
  unique = 0;
  dropped = 0;

  /** True the first time an eventID is seen. Events without an id cannot be deduplicated: kept. */
  isFirst(eventID: string | undefined): boolean {
    if (eventID !== undefined) {
      if (this.seen.has(eventID)) {
        this.dropped++;
        return false;
      }
      this.seen.add(eventID);
    }
    this.unique++;
    return true;
  }
}
