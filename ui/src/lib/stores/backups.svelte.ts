/**
 * What the shell knows about backups while someone who may see them is signed in: the
 * status (for the overdue warning), a scheduled backup under way, and the outcome of the
 * last one. The shell's `scheduled-backup` events feed it; the Backups screen refreshes it
 * after a backup of its own.
 */
import type {
  ApiError,
  Backend,
  BackupStatus,
  Progress,
  ScheduledBackupEvent,
  ScheduledRun,
} from '../backend';
import { toApiError } from '../backend';
import { isOverdue } from '../backups';

/** The last scheduled backup's outcome, as the banner tells it. */
export type ScheduledOutcome =
  | { kind: 'finished'; runs: ScheduledRun[] }
  | { kind: 'failed'; message: string; cancelled: boolean };

export class BackupStore {
  status = $state<BackupStatus | null>(null);
  statusError = $state<ApiError | null>(null);
  /** The clock the overdue rule reads; the shell moves it on every minute. */
  now = $state(Date.now());
  /** A scheduled backup being written. */
  running = $state<{ destination: string; progress: Progress } | null>(null);
  outcome = $state<ScheduledOutcome | null>(null);
  /** Grows whenever the history may have changed (a scheduled backup ended). */
  changes = $state(0);
  /** The warning was dismissed for this session. */
  dismissed = $state(false);

  #backend: Backend;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  /** Whether the calm "backups are overdue" warning is due. */
  get overdue(): boolean {
    return this.status !== null && isOverdue(this.status, this.now);
  }

  async refresh(): Promise<void> {
    try {
      this.status = await this.#backend.backupStatus();
      this.statusError = null;
    } catch (error) {
      this.statusError = toApiError(error);
    }
  }

  /** A `scheduled-backup` event. */
  handle(event: ScheduledBackupEvent): void {
    if (event.kind === 'progress') {
      this.running = { destination: event.destination, progress: event.progress };
      return;
    }
    this.running = null;
    this.outcome =
      event.kind === 'finished'
        ? { kind: 'finished', runs: event.runs }
        : { kind: 'failed', message: event.message, cancelled: event.cancelled };
    this.changes += 1;
    void this.refresh();
  }

  /** Hides the outcome message. */
  clearOutcome(): void {
    this.outcome = null;
  }

  tick(now: number = Date.now()): void {
    this.now = now;
  }
}
