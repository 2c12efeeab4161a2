/**
 * The session: whether a vault exists, who is signed in, the settings, and what happens on
 * lock and unlock (each user's drafts kept for them), and the user's own password change.
 */
import type {
  Action,
  ApiError,
  Backend,
  BackupRestoreReport,
  Language,
  LockReason,
  Role,
  SessionInfo,
  UiSettings,
} from '../backend';
import { toApiError } from '../backend';
import { reasonRefused } from '../backups';
import type { DraftStore } from './drafts.svelte';
import type { LanguageStore } from './language.svelte';
import { isLanguage } from './language.svelte';

/** `loading` until `app_status` answers; `unavailable` when it failed. */
export type Phase = 'loading' | 'setup' | 'locked' | 'open' | 'unavailable';

/**
 * Why the unlock screen shows: the backend's reasons, a restore (which signs out), or the
 * user signing out (the next person types their own name).
 */
export type LockCause = LockReason | 'restored' | 'signed_out';

/** How the last restore ended, shown on the unlock screen after it signed out. */
export type RestoreOutcome = { report: BackupRestoreReport } | { error: ApiError };

export type SessionHooks = {
  /** A different user signed in than the one before: forget their place in the app. */
  onUserChanged?: () => void;
};

export class SessionStore {
  phase = $state<Phase>('loading');
  info = $state<SessionInfo | null>(null);
  settings = $state<UiSettings | null>(null);
  vaultPath = $state('');
  /** Why the session last locked (shown on the unlock screen), or null. */
  lockReason = $state<LockCause | null>(null);
  /** A restore is under way: the backend has signed out, the UI waits for the outcome. */
  restoring = $state(false);
  /** How the last restore ended, until the next sign-in. */
  restoreOutcome = $state<RestoreOutcome | null>(null);
  /** The user name to offer on the unlock screen. */
  lastUsername = $state('');
  /** Why `app_status` failed, when phase is `unavailable`. */
  loadError = $state<ApiError | null>(null);

  #backend: Backend;
  #drafts: DraftStore;
  #language: LanguageStore;
  #hooks: SessionHooks;
  #previousUser: string | null = null;
  /** Signing out: the lock that follows forgets the user name and their drafts. */
  #signingOut = false;
  /** A language chosen before signing in, stored once a session is open. */
  #pendingLanguage: Language | null = null;

  constructor(
    backend: Backend,
    drafts: DraftStore,
    language: LanguageStore,
    hooks: SessionHooks = {},
  ) {
    this.#backend = backend;
    this.#drafts = drafts;
    this.#language = language;
    this.#hooks = hooks;
  }

  get role(): Role | null {
    return this.info?.role ?? null;
  }

  /** Whether core's policy lets the signed-in user take `action`: the session says which. */
  may(action: Action): boolean {
    return this.info?.permissions.includes(action) ?? false;
  }

  get isAdmin(): boolean {
    return this.info?.role === 'admin';
  }

  /** Asks the backend where things stand. */
  async load(): Promise<void> {
    try {
      const status = await this.#backend.appStatus();
      this.vaultPath = status.vault_path;
      if (isLanguage(status.language)) this.#language.set(status.language);
      this.loadError = null;
      if (!status.vault_exists) {
        this.phase = 'setup';
      } else if (status.session) {
        await this.#signedIn(status.session);
      } else {
        this.phase = 'locked';
      }
    } catch (error) {
      this.loadError = toApiError(error);
      this.phase = 'unavailable';
    }
  }

  /** Signs in; throws the backend's `ApiError` on failure. */
  async unlock(username: string, password: string): Promise<SessionInfo> {
    const info = await this.#backend.sessionUnlock({ username, password });
    await this.#signedIn(info);
    return info;
  }

  /** Locks at the user's request. The UI locks even if the backend call fails. */
  async lock(): Promise<void> {
    try {
      await this.#backend.sessionLock();
    } finally {
      this.locked('manual');
    }
  }

  /**
   * Signs out: locks as Lock does (the same backend command; the UI locks even if it
   * fails), and forgets the user name, their drafts and the place in the app, so the next
   * person starts afresh with their own name (other users' drafts stay theirs).
   */
  async signOut(): Promise<void> {
    this.#signingOut = true;
    try {
      await this.#backend.sessionLock();
    } finally {
      this.locked('signed_out');
      this.#signingOut = false;
    }
  }

  /** The session ended (event, manual lock, sign-out, or a `no_session` answer). */
  locked(reason: LockCause): void {
    // During a restore the backend is signed out on purpose; `restore` ends the session.
    if (this.phase !== 'open' || this.restoring) return;
    // The backend's own event for the sign-out's lock may come first: it is a sign-out too.
    if (this.#signingOut) {
      this.lastUsername = '';
      this.#previousUser = null;
      this.#drafts.discardOwn();
      this.#hooks.onUserChanged?.();
      reason = 'signed_out';
    } else {
      this.lastUsername = this.info?.username ?? this.lastUsername;
    }
    this.info = null;
    this.settings = null;
    this.lockReason = reason;
    this.phase = 'locked';
  }

  /**
   * Changes the signed-in user's own password (the current one proven first) and adopts
   * what the backend then says the user may do: a required change is lifted. Throws the
   * backend's `ApiError` on failure.
   */
  async changePassword(current: string, newPassword: string): Promise<void> {
    const info = await this.#backend.sessionChangePassword({ current, new_password: newPassword });
    if (this.phase === 'open') this.info = info;
  }

  /**
   * A command answered `password_change_required`: the user must choose their own password
   * before anything else, so the app shows only that.
   */
  passwordChangeRequired(): void {
    if (this.phase !== 'open' || !this.info || this.info.must_change_password) return;
    this.info = { ...this.info, must_change_password: true };
  }

  /**
   * Runs a real restore (`run` calls `backup_restore`). The backend signs out before it
   * replaces the vault, so the UI goes to the unlock screen with the outcome, success or
   * failure, and forgets drafts (the records they were typed for were replaced). When the
   * backend refused before signing out (a mistyped path), the session goes on and the
   * error is thrown for the dialog to show. So it is, signed out (a vault too damaged to
   * open), when the restore wants a reason to go on without erasing patients again: the
   * vault was not touched, and the reason can be typed in the dialog.
   */
  async restore(run: () => Promise<BackupRestoreReport>): Promise<void> {
    const signedOut = this.info === null;
    this.restoring = true;
    let outcome: RestoreOutcome;
    try {
      outcome = { report: await run() };
    } catch (error) {
      const failure = toApiError(error);
      const stillOpen = await this.#backend
        .appStatus()
        .then((status) => status.session !== null)
        .catch(() => false);
      if (stillOpen || (signedOut && reasonRefused(failure))) {
        this.restoring = false;
        throw failure;
      }
      outcome = { error: failure };
    }
    this.restoring = false;
    this.lastUsername = this.info?.username ?? this.lastUsername;
    this.#drafts.discardAll();
    this.#hooks.onUserChanged?.();
    this.info = null;
    this.settings = null;
    this.restoreOutcome = outcome;
    this.lockReason = 'restored';
    this.phase = 'locked';
  }

  /** The vault was just created: go to the unlock screen with the admin's name. */
  async vaultCreated(adminUsername: string): Promise<void> {
    this.lastUsername = adminUsername.trim().toLowerCase();
    this.lockReason = null;
    await this.load();
    if (this.phase === 'setup') this.phase = 'locked';
  }

  /** Listens for the backend's own locks. Returns an unsubscribe. */
  listen(): Promise<() => void> {
    return this.#backend.onSessionLocked((event) => this.locked(event.reason));
  }

  /** Saves settings; only the fields given change. Returns the stored settings. */
  async saveSettings(change: Partial<UiSettings>): Promise<UiSettings> {
    const current = this.settings ?? (await this.#backend.settingsGet());
    const saved = await this.#backend.settingsSet({ settings: { ...current, ...change } });
    this.#applySettings(saved);
    return saved;
  }

  /**
   * Switches the language at once and stores it. Before sign-in the shell stores the
   * language too; should it refuse, the choice is stored right after the next sign-in.
   */
  async setLanguage(language: Language): Promise<void> {
    this.#language.set(language);
    try {
      await this.saveSettings({ language });
      this.#pendingLanguage = null;
    } catch (error) {
      if (this.phase === 'open') throw error;
      this.#pendingLanguage = language;
    }
  }

  async #signedIn(info: SessionInfo): Promise<void> {
    const user = info.username.toLowerCase();
    this.#drafts.claim(user);
    if (this.#previousUser !== null && this.#previousUser !== user) this.#hooks.onUserChanged?.();
    this.#previousUser = user;
    this.info = info;
    this.lastUsername = info.username;
    this.lockReason = null;
    this.restoreOutcome = null;
    this.phase = 'open';
    try {
      this.#applySettings(await this.#backend.settingsGet());
      const pending = this.#pendingLanguage;
      this.#pendingLanguage = null;
      if (pending && pending !== this.settings?.language)
        await this.saveSettings({ language: pending });
    } catch {
      // The defaults stay; the settings screen will show the error when opened.
      this.settings = {
        auto_lock_minutes: info.auto_lock_minutes,
        keep_photo_location: false,
        language: this.#language.current,
      };
    }
  }

  #applySettings(settings: UiSettings): void {
    this.settings = settings;
    if (isLanguage(settings.language)) this.#language.set(settings.language);
    if (this.info) this.info = { ...this.info, auto_lock_minutes: settings.auto_lock_minutes };
  }
}
