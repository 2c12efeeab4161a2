/**
 * Unsaved drafts: what was typed into open forms, kept in memory only (never in
 * localStorage), so that a lock loses nothing. Each user's drafts are their own: another
 * user signing in after a lock neither sees them nor discards them, and they are there
 * again when their author signs in again. Signing out forgets the author's drafts.
 */
import { SvelteMap } from 'svelte/reactivity';

type Entry = { value: object; initial: string };

/** A user's drafts, by key. */
type Drafts = SvelteMap<string, Entry>;

export class DraftStore {
  /** Every user's drafts, by user name (lower case). */
  #byUser = new SvelteMap<string, Drafts>();
  /** Who signed in last: the drafts `open` and the other methods read are theirs. */
  owner = $state<string | null>(null);

  /** The owner's drafts, if any (read without creating them, so it may be read anywhere). */
  #own(): Drafts | undefined {
    return this.#byUser.get(this.owner ?? '');
  }

  /**
   * The owner's draft under `key`, created from `init()` when there is none. The returned
   * object is reactive: bind form fields to it and every keystroke is kept.
   */
  open<T extends object>(key: string, init: () => T): T {
    let own = this.#own();
    const existing = own?.get(key);
    if (existing) return existing.value as T;
    if (!own) {
      own = new SvelteMap();
      this.#byUser.set(this.owner ?? '', own);
    }
    const start = init();
    const value = $state(start);
    own.set(key, { value, initial: JSON.stringify(start) });
    return value;
  }

  /** Whether the owner has a draft open under `key`. */
  has(key: string): boolean {
    return this.#own()?.has(key) ?? false;
  }

  /** Whether the owner's draft under `key` differs from what it was opened with. */
  isDirty(key: string): boolean {
    const entry = this.#own()?.get(key);
    return entry !== undefined && changed(entry);
  }

  /** Forgets the owner's draft under `key` (saved or cancelled). */
  discard(key: string): void {
    this.#own()?.delete(key);
  }

  /** Forgets every user's drafts whose key passes `test` (a patient erased: nothing to go back to). */
  discardWhere(test: (key: string) => boolean): void {
    for (const drafts of this.#byUser.values()) {
      for (const key of [...drafts.keys()]) if (test(key)) drafts.delete(key);
    }
  }

  /** Forgets the owner's drafts: they signed out. */
  discardOwn(): void {
    this.#byUser.delete(this.owner ?? '');
  }

  /** Forgets every user's drafts: a restore replaced the vault they were typed for. */
  discardAll(): void {
    this.#byUser.clear();
  }

  /** Keys of the owner's open drafts. */
  keys(): string[] {
    return [...(this.#own()?.keys() ?? [])];
  }

  /** How many of the owner's open drafts have changes. */
  dirtyCount(): number {
    return this.keys().filter((key) => this.isDirty(key)).length;
  }

  /**
   * Whose drafts with changes are kept, and how many each: what the sign-in screen tells
   * (the owner first, then the others by name), never what they hold.
   */
  kept(): { user: string; count: number }[] {
    return [...this.#byUser.entries()]
      .map(([user, drafts]) => ({ user, count: [...drafts.values()].filter(changed).length }))
      .filter((kept) => kept.count > 0)
      .sort((a, b) =>
        a.user === this.owner ? -1 : b.user === this.owner ? 1 : a.user.localeCompare(b.user),
      );
  }

  /** `username` signs in: their own drafts, if any, are the ones the forms find. */
  claim(username: string): void {
    this.owner = username.toLowerCase();
  }
}

/** Whether a draft differs from what it was opened with. */
function changed(entry: Entry): boolean {
  return JSON.stringify($state.snapshot(entry.value)) !== entry.initial;
}
