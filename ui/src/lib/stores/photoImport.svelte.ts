/**
 * One import of photos: the files go to the backend one after another, each with its own
 * result (a bad file fails alone, with the backend's reason), a running count for the
 * progress bar, and a cancel that stops sending the files not yet started.
 */
import type { ApiError, Imported, Photo } from '../backend';
import { toApiError } from '../backend';

export type ImportStatus =
  'waiting' | 'sending' | 'imported' | 'duplicate' | 'failed' | 'cancelled';

export type ImportItem = {
  /** A key for lists: the position in the batch. */
  key: number;
  name: string;
  status: ImportStatus;
  /** Why it failed, as the backend said it. */
  error?: ApiError;
  photo?: Photo;
};

/** What sends one file: reads it and calls `photo_import`. */
export type SendFile = (file: File) => Promise<Imported>;

/** How many files travel at once: one, so the progress reads in order. */
const AT_ONCE = 1;

export class PhotoImportBatch {
  items = $state<ImportItem[]>([]);
  running = $state(false);
  cancelled = $state(false);

  /** Files sent and answered, whatever the answer (those left out by a cancel are not). */
  readonly done = $derived(
    this.items.filter((i) => ['imported', 'duplicate', 'failed'].includes(i.status)).length,
  );
  readonly total = $derived(this.items.length);
  readonly imported = $derived(this.count('imported'));
  readonly duplicates = $derived(this.count('duplicate'));
  readonly failed = $derived(this.count('failed'));
  /** The file being sent now, if any. */
  readonly current = $derived(this.items.find((i) => i.status === 'sending') ?? null);

  count(status: ImportStatus): number {
    return this.items.filter((i) => i.status === status).length;
  }

  /** Sends `files`; resolves when every file is settled (or left out after a cancel). */
  async run(files: readonly File[], send: SendFile): Promise<void> {
    if (this.running) return;
    this.items = files.map((file, key) => ({ key, name: file.name, status: 'waiting' }));
    this.cancelled = false;
    this.running = true;
    let next = 0;
    const worker = async () => {
      while (next < files.length && !this.cancelled) {
        const index = next++;
        const file = files[index];
        const item = this.items[index];
        if (!file || !item) break;
        item.status = 'sending';
        try {
          const result = await send(file);
          item.photo = result.photo;
          item.status = result.duplicate ? 'duplicate' : 'imported';
        } catch (error) {
          item.error = toApiError(error);
          item.status = 'failed';
          // Signed out meanwhile: nothing more can be sent.
          if (item.error.code === 'no_session') this.cancelled = true;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(AT_ONCE, files.length) }, worker));
    } finally {
      for (const item of this.items) if (item.status === 'waiting') item.status = 'cancelled';
      this.running = false;
    }
  }

  /** Stops after the file under way: the rest are not sent. */
  cancel(): void {
    if (this.running) this.cancelled = true;
  }

  /** Forgets the results. */
  clear(): void {
    if (!this.running) this.items = [];
  }
}
