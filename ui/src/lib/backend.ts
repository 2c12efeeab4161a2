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
  ErrorCode,
  Imported,
  PhotoImportMeta,
  Privacy,
  ScheduledBackupEvent,
  SessionLocked,
} from './bindings';
import { COMMANDS, PHOTO_IMPORT_META_HEADER, type Commands } from './bindings/commands';

export type * from './bindings';
export type { Commands } from './bindings/commands';

/**
 * What opens a backup being verified or restored: its passphrase, or the path of an age
 * identity file (for a backup made to an age public key). Exactly one is given.
 */
export type BackupKeyArgs = { passphrase: string | null; identity_file: string | null };

/** Which image of a photo: the 320 px thumbnail, the 1280 px preview, or the original. */
export type PhotoVariant = 'thumb' | 'preview' | 'original';

/**
 * Everything the UI asks of the backend: every command of the shell, typed from its Rust
 * signature (`Commands`, generated), and what is not a command.
 */
export interface Backend extends Omit<Commands, 'photoImport' | 'accessScanImage'> {
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
  /**
   * The texts of the QR codes in an image file (a photo or scan of a card), its bytes as
   * they are; an empty list when there is none. What a text opens is for
   * `accessOpenToken` to decide.
   */
  accessScanImage(bytes: ArrayBuffer | Uint8Array): Promise<string[]>;
  /**
   * Where the webview loads an image of a photo from (no request is made until it is shown).
   * With `grantId`, the photo as seen through that access grant (thumb or preview only): the
   * shell checks the grant again for every image.
   */
  photoUrl(photoId: string, variant: PhotoVariant, grantId?: string): string;
  /** Calls `handler` whenever the backend locks the session by itself. Returns an unsubscribe. */
  onSessionLocked(handler: (event: SessionLocked) => void): Promise<() => void>;
  /** Calls `handler` with the progress and outcome of scheduled backups. Returns an unsubscribe. */
  onScheduledBackup(handler: (event: ScheduledBackupEvent) => void): Promise<() => void>;
}

/** Every code an `ApiError` may carry (a record, so a code added to `ErrorCode` must be listed). */
const CODES: Record<ErrorCode, true> = {
  bad_credentials: true,
  locked_out: true,
  denied: true,
  password_change_required: true,
  not_found: true,
  invalid: true,
  conflict: true,
  likely_duplicate: true,
  integrity: true,
  no_session: true,
  cancelled: true,
  access_refused: true,
  bundle_refused: true,
  bundle_damaged: true,
  internal: true,
};
export const ERROR_CODES = Object.keys(CODES) as readonly ErrorCode[];

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

/**
 * A callback argument travels as a Tauri channel (the shell's `Channel<T>`): backupCreate's
 * and exportWrite's `on_progress`, scanStart's `on_event`.
 */
function wired(args: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (args === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(args).map(([name, value]) => {
      if (typeof value !== 'function') return [name, value];
      const channel = new IpcChannel<unknown>();
      channel.onmessage = value as (message: unknown) => void;
      return [name, channel];
    }),
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, wired(args));
  } catch (error) {
    throw toApiError(error);
  }
}

/** The real backend: Tauri commands and events. */
export function createTauriBackend(): Backend {
  // One caller per generated command; the table's names are the shell's own.
  const commands = Object.fromEntries(
    Object.entries(COMMANDS).map(([method, command]) => [
      method,
      (args?: Record<string, unknown>) => call(command, args),
    ]),
  ) as unknown as Commands;
  return {
    ...commands,
    photoImport: async ({ patient, file_name, privacy, bytes }) => {
      // Headers carry ASCII only: the name travels URI-encoded.
      const meta: PhotoImportMeta = {
        patient,
        file_name: file_name === null ? null : encodeURIComponent(file_name),
        privacy,
      };
      try {
        return await invoke<Imported>(COMMANDS.photoImport, bytes, {
          headers: { [PHOTO_IMPORT_META_HEADER]: JSON.stringify(meta) },
        });
      } catch (error) {
        throw toApiError(error);
      }
    },
    accessScanImage: async (bytes) => {
      try {
        return await invoke<string[]>(COMMANDS.accessScanImage, bytes);
      } catch (error) {
        throw toApiError(error);
      }
    },
    photoUrl: (photoId, variant, grantId) =>
      // convertFileSrc encodes the path itself.
      convertFileSrc(
        grantId === undefined
          ? `media/${photoId}/${variant}`
          : `grant/${grantId}/media/${photoId}/${variant}`,
        'tessera',
      ),
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
 * its way, or the event was missed) is reported once to `onNoSession`, and a
 * `password_change_required` one (the user must choose their own password first) to
 * `onPasswordChangeRequired`, then rethrown.
 */
export function guardSession(
  inner: Backend,
  onNoSession: () => void,
  onPasswordChangeRequired: () => void = () => {},
): Backend {
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
          if (apiError.code === 'password_change_required') onPasswordChangeRequired();
          throw apiError;
        }
      };
    },
  });
}
