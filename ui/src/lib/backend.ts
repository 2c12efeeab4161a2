/**
 * The one module that talks to the Tauri shell. Everything else in the UI reaches the
 * backend through the `Backend` interface, so tests can run against a stand-in.
 *
 * Commands take snake_case arguments, exactly as the shell declares them; every failure
 * is an `ApiError` `{ code, message }`.
 */
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';

import type {
  ApiError,
  AppStatus,
  AuditQuery,
  AuditRecord,
  Chart,
  Encounter,
  ErrorCode,
  Narrative,
  NewEncounter,
  Patient,
  PatientSummary,
  Profile,
  Revision,
  Role,
  SessionInfo,
  SessionLocked,
  StaffAccount,
  UiSettings,
  VaultCreated,
  VerifyReport,
} from './bindings';

export type * from './bindings';

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

  narrativeList(args: { patient: string }): Promise<Narrative[]>;
  narrativeAdd(args: { patient: string; title: string | null; body: string }): Promise<Narrative>;
  narrativeEdit(args: {
    narrative_id: string;
    title: string | null;
    body: string;
    expected_revision: number;
  }): Promise<Narrative>;
  narrativeHistory(args: { narrative_id: string }): Promise<Revision[]>;

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

  /** Works without a session too (the language; the auto-lock delay then reads its default). */
  settingsGet(): Promise<UiSettings>;
  /** The language is stored even without a session; the auto-lock delay needs an admin's. */
  settingsSet(args: { settings: UiSettings }): Promise<UiSettings>;

  /** Calls `handler` whenever the backend locks the session by itself. Returns an unsubscribe. */
  onSessionLocked(handler: (event: SessionLocked) => void): Promise<() => void>;
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
    narrativeList: (args) => call('narrative_list', args),
    narrativeAdd: (args) => call('narrative_add', args),
    narrativeEdit: (args) => call('narrative_edit', args),
    narrativeHistory: (args) => call('narrative_history', args),
    staffList: () => call('staff_list'),
    staffAdd: (args) => call('staff_add', args),
    staffDisable: (args) => call('staff_disable', args),
    auditList: (args) => call('audit_list', args),
    auditVerify: () => call('audit_verify'),
    settingsGet: () => call('settings_get'),
    settingsSet: (args) => call('settings_set', args),
    onSessionLocked: async (handler) => {
      const unlisten = await listen<SessionLocked>('session-locked', (event) =>
        handler(event.payload),
      );
      return unlisten;
    },
  };
}

/**
 * Wraps a backend so that a `no_session` error (the backend locked while a request was on
 * its way, or the event was missed) is reported once to `onNoSession`, then rethrown.
 */
export function guardSession(inner: Backend, onNoSession: () => void): Backend {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'onSessionLocked') return value;
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
