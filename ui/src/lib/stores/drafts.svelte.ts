/**
 * Unsaved drafts: what was typed into open forms, kept in memory only (never in
 * localStorage), so that an auto-lock loses nothing. Drafts belong to the user who typed
 * them: the same user unlocking again finds them; anyone else signing in discards them,
 * and `discarded` tells the UI to say so.
 */
import { SvelteMap } from 'svelte/reactivity';

type Entry = { value: object; initial: string };

export type ClaimOutcome = 'kept' | 'discarded' | 'none';

export class DraftStore {
  #entries = new SvelteMap<string, Entry>();
  /** The user name the drafts belong to. */
  owner = $state<string | null>(null);
  /** How many drafts with changes were discarded at the last sign-in by another user. */
  discarded = $state(0);

  /**
   * The draft under `key`, created from `init()` when there is none. The returned object is
   * reactive: bind form fields to it and every keystroke is kept.
   */
  open<T extends object>(key: string, init: () => T): T {
    const existing = this.#entries.get(key);
    if (existing) return existing.value as T;
    const start = init();
    const value = $state(start);
    this.#entries.set(key, { value, initial: JSON.stringify(start) });
    return value;
  }

  /** Whether a draft is open under `key`. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Whether the draft under `key` differs from what it was opened with. */
  isDirty(key: string): boolean {
    const entry = this.#entries.get(key);
    return entry !== undefined && JSON.stringify($state.snapshot(entry.value)) !== entry.initial;
  }

  /** Forgets the draft under `key` (saved or cancelled). */
  discard(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * Forgets every draft: a restore replaced the vault they were typed for, or their author
   * signed out.
   */
  discardAll(): void {
    this.#entries.clear();
    this.discarded = 0;
  }

  /** Keys of the open drafts. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** How many open drafts have changes. */
  dirtyCount(): number {
    return this.keys().filter((key) => this.isDirty(key)).length;
  }

  /**
   * Called when `username` signs in. The owner's drafts are kept; another user's are
   * discarded (and counted in `discarded` when they held changes).
   */
  claim(username: string): ClaimOutcome {
    const user = username.toLowerCase();
    if (this.owner === null || this.#entries.size === 0) {
      this.#entries.clear();
      this.owner = user;
      this.discarded = 0;
      return 'none';
    }
    if (this.owner === user) {
      this.discarded = 0;
      return 'kept';
    }
    this.discarded = this.dirtyCount();
    this.#entries.clear();
    this.owner = user;
    return 'discarded';
  }

  /** Hides the "drafts were discarded" warning. */
  dismissNotice(): void {
    this.discarded = 0;
  }
}
