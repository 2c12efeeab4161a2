/**
 * The one module that talks to the Tauri shell. Everything else in the UI reaches the
 * backend through the `Backend` interface, so tests can run against a stand-in.
 *
 * Commands take snake_case arguments, exactly as the shell declares them; every failure
 * is an `ApiError` `{ code, message }`.
 */
import { Channel as IpcChannel, convertFileSrc, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import type {
  ApiError,
  AppStatus,
  AuditQuery,
  AuditRecord,
  BackupRecord,
  BackupRestoreReport,
  BackupSchedule,
  BackupStatus,
  BackupVerifyReport,
  Chart,
  Encounter,
  ErasureMode,
  ErasureReport,
  ErrorCode,
  Imported,
  Narrative,
  NewEncounter,
  Patient,
  PatientSummary,
  Photo,
  PhotoImportMeta,
  Privacy,
  Profile,
  Progress,
  PruneReport,
  RetentionPolicy,
  RetentionReport,
  Revision,
  Role,
  ScheduledBackupEvent,
  SessionInfo,
  SessionLocked,
  StaffAccount,
  SubjectExport,
  UiSettings,
  VaultCreated,
  VerifyReport,
} from './bindings';

export type * from './bindings';

/**
 * What opens a backup being verified or restored: its passphrase, or the path of an age
 * identity file (for a backup made to an age public key). Exactly one is given.
 */
export type BackupKeyArgs = { passphrase: string | null; identity_file: string | null };

/** Which image of a photo: the 320 px thumbnail, the 1280 px preview, or the original. */
export type PhotoVariant = 'thumb' | 'preview' | 'original';

/** Everything the UI asks of the backend. */
export interface Backend {
  appStatus(): Promise<AppStatus>;
  vaultCreate(args: {
    admin_username: string;
    admin_display_name: string;
    password: string;
  }): Promise<VaultCreated>;
  sessionUnlock(args: { username: string; password: string }): Promise<SessionInfo>;
  sessionLock(): Promise<null>;
  /** Counts as activity for the backend's auto-lock (typing, clicking), without touching data. */
  sessionTouch(): Promise<null>;

  patientSearch(args: { query: string; limit: number }): Promise<PatientSummary[]>;
  patientCreate(args: { profile: Profile }): Promise<Patient>;
  patientChart(args: { patient: string }): Promise<Chart>;
  patientUpdate(args: {
    patient: string;
    profile: Profile;
    expected_version: number;
  }): Promise<Patient>;

  encounterAdd(args: { patient: string; encounter: NewEncounter }): Promise<Encounter>;

  /**
   * Erases a patient (admins): every row removed, or the record anonymised. `confirmation`
   * is the patient's human id typed again; the shell refuses anything else (`invalid`,
   * field `confirmation`) before core is asked.
   */
  patientErase(args: {
    patient: string;
    mode: ErasureMode;
    confirmation: string;
  }): Promise<ErasureReport>;
  /**
   * Writes everything held on a patient to a new tar file at `out`, a full path (admins);
   * with a `passphrase` (12 characters at least), an age file around the tar (`age -d`
   * opens it). Without one, or an empty one, a plain tar.
   */
  patientSubjectExport(args: {
    patient: string;
    out: string;
    passphrase?: string;
  }): Promise<SubjectExport>;

  /** The vault's retention policy (admins). */
  retentionGet(): Promise<RetentionPolicy>;
  retentionSet(args: { policy: RetentionPolicy }): Promise<RetentionPolicy>;
  /** Applies the saved policy, or with `dry_run` only lists what it would change (admins). */
  retentionRun(args: { dry_run: boolean }): Promise<RetentionReport>;

  narrativeList(args: { patient: string }): Promise<Narrative[]>;
  /** `photo_id` attaches the narrative to one of the patient's photos. */
  narrativeAdd(args: {
    patient: string;
    title: string | null;
    body: string;
    photo_id?: string | null;
  }): Promise<Narrative>;
  narrativeEdit(args: {
    narrative_id: string;
    title: string | null;
    body: string;
    expected_revision: number;
  }): Promise<Narrative>;
  narrativeHistory(args: { narrative_id: string }): Promise<Revision[]>;

  /** The patient's photos (or those in the bin), newest first. Audited. */
  photoList(args: { patient: string; deleted: boolean }): Promise<Photo[]>;
  /**
   * Imports one file, its bytes as they are: the backend judges the content (never the name)
   * and answers `invalid` (field `photo`) with why it refused it.
   */
  photoImport(args: {
    patient: string;
    file_name: string | null;
    privacy: Privacy;
    bytes: ArrayBuffer | Uint8Array;
  }): Promise<Imported>;
  /** `caption: ''` clears the caption; a missing or null field is left as it is. */
  photoEdit(args: {
    photo_id: string;
    caption?: string | null;
    privacy?: Privacy | null;
  }): Promise<Photo>;
  photoDelete(args: { photo_id: string }): Promise<Photo>;
  photoRestore(args: { photo_id: string }): Promise<Photo>;
  /** Where the webview loads an image of a photo from (no request is made until it is shown). */
  photoUrl(photoId: string, variant: PhotoVariant): string;

  staffList(): Promise<StaffAccount[]>;
  staffAdd(args: {
    username: string;
    display_name: string;
    role: Role;
    password: string;
  }): Promise<StaffAccount>;
  staffDisable(args: { username: string; reason: string | null }): Promise<StaffAccount>;

  auditList(args: { filter: AuditQuery }): Promise<AuditRecord[]>;
  auditVerify(): Promise<VerifyReport>;

  /** Whether backups are current (for the overdue warning). Not counted as activity. */
  backupStatus(): Promise<BackupStatus>;
  /** Every backup attempt, newest first. */
  backupList(): Promise<BackupRecord[]>;
  backupScheduleGet(): Promise<BackupSchedule>;
  /** `passphrase` replaces the stored one; null keeps it. Admins only (core decides). */
  backupScheduleSet(args: {
    schedule: BackupSchedule;
    passphrase: string | null;
  }): Promise<BackupSchedule>;
  /**
   * Writes a backup into `destination` (a folder path typed by the user) now, encrypted to
   * `passphrase` or to the age public key `recipient` (exactly one). `onProgress` hears how
   * far it got; `backupCancel` stops it (the call then fails with `cancelled`).
   */
  backupCreate(
    args: {
      destination: string;
      passphrase: string | null;
      recipient: string | null;
      full: boolean;
    },
    onProgress: (progress: Progress) => void,
  ): Promise<BackupRecord>;
  /** Stops the backup under way (made now or by the schedule). */
  backupCancel(): Promise<null>;
  /** Checks a backup file; `password` is the signed-in user's, typed again. */
  backupVerify(
    args: BackupKeyArgs & { file: string; password: string },
  ): Promise<BackupVerifyReport>;
  /**
   * Restores a backup over the vault. A dry run only checks and reports; a real run signs
   * out first, whatever its outcome: the UI then returns to sign-in.
   */
  backupRestore(
    args: BackupKeyArgs & { file: string; password: string; dry_run: boolean },
  ): Promise<BackupRestoreReport>;
  backupPrune(args: {
    destination: string;
    keep_last: number;
    keep_days: number;
    dry_run: boolean;
  }): Promise<PruneReport>;

  /** Works without a session too (the language; the auto-lock delay then reads its default). */
  settingsGet(): Promise<UiSettings>;
  /** The language is stored even without a session; the auto-lock delay needs an admin's. */
  settingsSet(args: { settings: UiSettings }): Promise<UiSettings>;

  /** Calls `handler` whenever the backend locks the session by itself. Returns an unsubscribe. */
  onSessionLocked(handler: (event: SessionLocked) => void): Promise<() => void>;
  /** Calls `handler` with the progress and outcome of scheduled backups. Returns an unsubscribe. */
  onScheduledBackup(handler: (event: ScheduledBackupEvent) => void): Promise<() => void>;
}

const ERROR_CODES: readonly ErrorCode[] = [
  'bad_credentials',
  'locked_out',
  'denied',
  'not_found',
  'invalid',
  'conflict',
  'integrity',
  'no_session',
  'cancelled',
  'internal',
];

/** Whether `value` is an `ApiError`. */
export function isApiError(value: unknown): value is ApiError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.message === 'string' &&
    typeof v.code === 'string' &&
    (ERROR_CODES as readonly string[]).includes(v.code)
  );
}

/** Turns anything thrown or rejected into an `ApiError`. */
export function toApiError(value: unknown): ApiError {
  if (isApiError(value)) return value;
  if (typeof value === 'string') return { code: 'internal', message: value };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  return { code: 'internal', message: String(value) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toApiError(error);
  }
}

/** The header that carries a photo's `PhotoImportMeta` (the body is the file itself). */
const PHOTO_META_HEADER = 'tessera-photo';

/** The real backend: Tauri commands and events. */
export function createTauriBackend(): Backend {
  return {
    appStatus: () => call('app_status'),
    vaultCreate: (args) => call('vault_create', args),
    sessionUnlock: (args) => call('session_unlock', args),
    sessionLock: () => call('session_lock'),
    sessionTouch: () => call('session_touch'),
    patientSearch: (args) => call('patient_search', args),
    patientCreate: (args) => call('patient_create', args),
    patientChart: (args) => call('patient_chart', args),
    patientUpdate: (args) => call('patient_update', args),
    encounterAdd: (args) => call('encounter_add', args),
    patientErase: (args) => call('patient_erase', args),
    patientSubjectExport: (args) => call('patient_subject_export', args),
    retentionGet: () => call('retention_get'),
    retentionSet: (args) => call('retention_set', args),
    retentionRun: (args) => call('retention_run', args),
    narrativeList: (args) => call('narrative_list', args),
    narrativeAdd: (args) => call('narrative_add', args),
    narrativeEdit: (args) => call('narrative_edit', args),
    narrativeHistory: (args) => call('narrative_history', args),
    photoList: (args) => call('photo_list', args),
    photoImport: async ({ patient, file_name, privacy, bytes }) => {
      // Headers carry ASCII only: the name travels URI-encoded.
      const meta: PhotoImportMeta = {
        patient,
        file_name: file_name === null ? null : encodeURIComponent(file_name),
        privacy,
      };
      try {
        return await invoke<Imported>('photo_import', bytes, {
          headers: { [PHOTO_META_HEADER]: JSON.stringify(meta) },
        });
      } catch (error) {
        throw toApiError(error);
      }
    },
    photoEdit: (args) => call('photo_edit', args),
    photoDelete: (args) => call('photo_delete', args),
    photoRestore: (args) => call('photo_restore', args),
    photoUrl: (photoId, variant) =>
      // convertFileSrc encodes the path itself.
      convertFileSrc(`media/${photoId}/${variant}`, 'tessera'),
    staffList: () => call('staff_list'),
    staffAdd: (args) => call('staff_add', args),
    staffDisable: (args) => call('staff_disable', args),
    auditList: (args) => call('audit_list', args),
    auditVerify: () => call('audit_verify'),
    backupStatus: () => call('backup_status'),
    backupList: () => call('backup_list'),
    backupScheduleGet: () => call('backup_schedule_get'),
    backupScheduleSet: (args) => call('backup_schedule_set', args),
    backupCreate: (args, onProgress) => {
      const channel = new IpcChannel<Progress>();
      channel.onmessage = onProgress;
      return call('backup_create', { ...args, on_progress: channel });
    },
    backupCancel: () => call('backup_cancel'),
    backupVerify: (args) => call('backup_verify', args),
    backupRestore: (args) => call('backup_restore', args),
    backupPrune: (args) => call('backup_prune', args),
    settingsGet: () => call('settings_get'),
    settingsSet: (args) => call('settings_set', args),
    onSessionLocked: async (handler) => {
      const unlisten = await listen<SessionLocked>('session-locked', (event) =>
        handler(event.payload),
      );
      return unlisten;
    },
    onScheduledBackup: async (handler) => {
      const unlisten = await listen<ScheduledBackupEvent>('scheduled-backup', (event) =>
        handler(event.payload),
      );
      return unlisten;
    },
  };
}

const EVENTS: readonly PropertyKey[] = ['onSessionLocked', 'onScheduledBackup'];

/**
 * Wraps a backend so that a `no_session` error (the backend locked while a request was on
 * its way, or the event was missed) is reported once to `onNoSession`, then rethrown.
 */
export function guardSession(inner: Backend, onNoSession: () => void): Backend {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      // Event subscriptions and image URLs are not requests: pass them through as they are.
      if (typeof value !== 'function' || EVENTS.includes(property)) return value;
      if (property === 'photoUrl') return value.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          const apiError = toApiError(error);
          if (apiError.code === 'no_session') onNoSession();
          throw apiError;
        }
      };
    },
  });
}
