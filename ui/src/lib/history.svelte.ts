/**
 * A record's earlier versions behind a "show" toggle (a narrative's revisions, a visit's
 * replaced versions): fetched when first opened, and again when the record has moved on
 * since they were fetched; a failure is kept for the panel to show, with a retry.
 */
import { toApiError, type ApiError } from './backend';

export class EarlierVersions<T> {
  open = $state(false);
  items = $state<T[] | null>(null);
  error = $state<ApiError | null>(null);
  /** The record's version the items were fetched for. */
  #fetchedFor: number | null = null;

  constructor(
    private readonly fetch: () => Promise<T[]>,
    private readonly version: () => number,
  ) {}

  async load(): Promise<void> {
    const version = this.version();
    try {
      this.items = await this.fetch();
      this.#fetchedFor = version;
      this.error = null;
    } catch (e) {
      this.error = toApiError(e);
    }
  }

  async toggle(): Promise<void> {
    this.open = !this.open;
    if (this.open && (this.items === null || this.#fetchedFor !== this.version())) {
      await this.load();
    }
  }

  /** Closed and forgotten: the record was just changed here. */
  reset(): void {
    this.open = false;
    this.items = null;
  }
}
