/**
 * A stand-in `Backend`: an in-memory vault for unit tests and for `demo.html` (the UI in a
 * plain browser, `npm run dev`). It follows the contract's shapes and error codes, with
 * hooks to fire the `session-locked` event. Never bundled into the app.
 */
import type {
  Action,
  ApiError,
  AuditRecord,
  Backend,
  BackupRecord,
  BackupRestoreReport,
  BackupSchedule,
  BackupStatus,
  BackupVerifyReport,
  CameraChoice,
  Card,
  Consent,
  Credentials,
  DeskCorrection,
  DeskRecord,
  Encounter,
  EncounterRevision,
  ErasureReport,
  ExportEntry,
  Grant,
  HandedOverPassword,
  Imported,
  JsonValue,
  Language,
  Narrative,
  NewEncounter,
  Patient,
  PatientMerge,
  PatientSummary,
  Permission,
  Photo,
  PhotoVariant,
  Profile,
  Progress,
  ProviderCredentials,
  PruneReport,
  RetentionItem,
  RetentionPolicy,
  RuleReport,
  Revision,
  Role,
  ScanEvent,
  ScheduledBackupEvent,
  ScheduledRun,
  SessionInfo,
  SessionLocked,
  SharedView,
  UiSettings,
  StaffAccount,
  Verification,
} from '../backend';
import { POLICY } from '../bindings/policy';
import { isCalendarDate, parseHumanId } from '../format';
import { freshTransferState, transferCommands, type FakeTransferState } from './fakeTransfer';

/** A photo as the stand-in keeps it: the record, its bytes (if imported) and its importer. */
export type FakePhoto = { photo: Photo; bytes: Uint8Array | null; fingerprint: string };

export type FakeUser = {
  username: string;
  password: string;
  role: Role;
  display_name?: string;
  /** Someone else chose the password: its owner must choose their own at the next sign-in. */
  must_change_password?: boolean;
};

/** What the stand-in remembers of a backup file: how it opens and what it held. */
export type FakeBackupFile = {
  passphrase: string | null;
  recipient: string | null;
  rowCounts: Record<string, number>;
  auditEntries: number;
};

/** An access grant as the stand-in keeps it: the record, its code and its card's token. */
export type FakeGrant = { grant: Grant; code: string; token: string };

/**
 * A merge as the stand-in keeps it (core's `patient_merges`): the ids of the rows that
 * moved, by table; `settled` once retention emptied the merged-away record from the bin (its
 * ids still lead to the survivor, and the merge can no longer be undone).
 */
export type FakeMerge = {
  merged_id: string;
  merged_human_id: string;
  survivor_id: string;
  moved: Record<MovedTable, string[]>;
  merged_at: string;
  merged_by: string;
  undone_at: string | null;
  settled: boolean;
};

export type FakeBackend = Backend & {
  /** Adds a photo without bytes (its image is drawn), for demos and tests. */
  addPhoto(patient: string, fields?: Partial<Photo>): Photo;
  /** Fires `session-locked` as the shell would. */
  emitLocked(reason: SessionLocked['reason']): void;
  /** Fires `scheduled-backup` as the shell's schedule would. */
  emitScheduled(event: ScheduledBackupEvent): void;
  /**
   * Awaited between the progress steps of `backupCreate` (four of them), and of each folder
   * `backupRunNow` backs up to: replace it to hold a backup half-way in a test.
   */
  backupStep: () => Promise<void>;
  /**
   * Awaited after each stage `exportWrite` reports (three of them): replace it to hold an
   * export half-way in a test.
   */
  exportStep: () => Promise<void>;
  /**
   * Awaited before each progress step `vaultRekey` reports (four of them): replace it to hold
   * the re-encryption half-way in a test.
   */
  rekeyStep: () => Promise<void>;
  /**
   * Awaited before each image `transferExport` reports (two of them): replace it to hold a
   * bundle half-way in a test.
   */
  transferStep: () => Promise<void>;
  /** The text of the seal printed on the pages of export `exportId` (what a camera reads). */
  sealFor(exportId: string): string;
  /** Names of the commands called, in order. */
  calls: string[];
  state: {
    vaultExists: boolean;
    /**
     * The vault's files failed their check: a sign-in with the right password is refused
     * with `integrity` until a restore replaces them. A restore cannot read them either, so
     * erasures made since the backup are unknown: a real restore then needs an override reason.
     */
    vaultDamaged: boolean;
    /**
     * How many patients a restore finds erased since the backup was made, and erases again;
     * null: counted from the audit log (patients with a `patient.erase` entry newer than the
     * backup). Unknown, whatever it says, while `vaultDamaged`.
     */
    erasuresSinceBackup: number | null;
    session: SessionInfo | null;
    settings: UiSettings;
    users: FakeUser[];
    staff: StaffAccount[];
    patients: Patient[];
    encounters: Encounter[];
    /** The versions of visits that amendments replaced, oldest first (`encounterHistory`). */
    encounterRevisions: EncounterRevision[];
    /**
     * Narratives with their writer's account (`author` is the name they wrote under): a
     * private one is read by that account and admins only.
     */
    narratives: Narrative[];
    revisions: Revision[];
    /** Consent decisions, oldest first (`current` is worked out when they are listed). */
    consents: Consent[];
    /** Provider credentials, one per clinician account that has any. */
    credentials: ProviderCredentials[];
    photos: FakePhoto[];
    audit: AuditRecord[];
    /** Newest first, like `backup_list`. */
    backups: BackupRecord[];
    /** By file path. */
    backupFiles: Map<string, FakeBackupFile>;
    schedule: BackupSchedule;
    /** Folders that do not exist (an unplugged drive); any other absolute path does. */
    missingFolders: string[];
    backupCancelled: boolean;
    retention: RetentionPolicy;
    /** Files written by the subject access export, by path: the passphrase, or null. */
    exports: Map<string, string | null>;
    /** The export log (`exportWrite`), newest first. */
    exportLog: ExportEntry[];
    /** Files written by `exportWrite`, by path: the export's id. */
    exportFiles: Map<string, string>;
    exportCancelled: boolean;
    /** Access grants, oldest first. */
    grants: FakeGrant[];
    /** Wrong access codes typed on this "workstation", and when the last one was. */
    codeFailures: { count: number; last: number };
    /** What `cameraList` answers: one camera by default; `[]` for a desk without one. */
    cameras: CameraChoice[];
    /**
     * What a camera scan finds after two previews (then `found` and `stopped`), e.g. a
     * grant's `token`; null: it previews until stopped.
     */
    scanText: string | null;
    /** When set, a camera scan fails after two previews with this message (`stopped`). */
    scanFailure: string | null;
    /** The camera of the scan under way, or null. */
    scanning: string | null;
    /** What `accessScanImage` finds in any image (the QR texts). */
    imageTexts: string[];
    /**
     * Another window or command has the vault open: `vaultRekey` is refused as core refuses
     * it (`conflict`, the vault in use).
     */
    vaultInUse: boolean;
    /** The recovery key `vaultCreate` gave, or the latest `vaultRekey` did. */
    recoveryKey: string;
    /** Merges of duplicate records, oldest first. */
    merges: FakeMerge[];
    /** What the system's folder chooser answers: a folder, or null as when it is cancelled. */
    chosenFolder: string | null;
    /** Transfer between vaults: identities, paired vaults, files on a stick, conflicts. */
    transfer: FakeTransferState;
  };
};

function fail(code: ApiError['code'], message: string): never {
  throw { code, message } satisfies ApiError;
}

/** An access code or QR refused, with its reason (like the shell's `access_refused`). */
function refuse(reason: string, message: string, retry_after_secs?: number): never {
  throw {
    code: 'access_refused',
    message,
    reason,
    ...(retry_after_secs === undefined ? {} : { retry_after_secs }),
  } satisfies ApiError;
}

/** What the stand-in's "signed" tokens start with: its vault's key, in a manner of speaking. */
const TOKEN_TAG = 'TS1:NCF6';

/** What the stand-in's export seals start with (then the export's id). */
const SEAL_TAG = 'TS1:SEAL';

/** A check that found a document or file not genuine (like core's `integrity` refusal). */
function notGenuine(why: string): never {
  return fail('integrity', `not genuine: ${why}`);
}

/** The seal printed on the pages of an export's PDF: the text its QR code holds. */
const sealOf = (exportId: string) => `${SEAL_TAG}${exportId.replace(/-/g, '').toUpperCase()}`;

/** A stand-in SHA-256: 64 hex digits that differ with `text`. */
function fakeSha256(text: string): string {
  let out = '';
  let h = 2166136261;
  for (let round = 0; out.length < 64; round++) {
    for (const c of `${round}:${text}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** A small grey preview that changes from frame to frame: 16 x 12 pixels, base64. */
function fakePreview(frame: number): ScanEvent {
  const width = 16;
  const height = 12;
  let bytes = '';
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) bytes += String.fromCharCode(((x + y + frame) * 16) % 256);
  }
  return { kind: 'preview', width, height, luma: btoa(bytes) };
}

/** A small QR-like SVG for a token (not a readable QR code: the stand-in draws a pattern). */
function fakeQr(token: string): string {
  const n = 21;
  let h = 2166136261;
  for (const c of token) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const finder = (x: number, y: number) =>
    `<path d="M${x} ${y}h7v7h-7zM${x + 1} ${y + 1}v5h5v-5zM${x + 2} ${y + 2}h3v3h-3z" fill-rule="evenodd"/>`;
  let cells = '';
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const corner = (x < 8 && y < 8) || (x > 12 && y < 8) || (x < 8 && y > 12);
      h = Math.imul(h ^ (x * 31 + y), 16777619) >>> 0;
      if (!corner && h % 2 === 0) cells += `M${x} ${y}h1v1h-1z`;
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="-4 -4 29 29" width="232" height="232">` +
    `<rect x="-4" y="-4" width="29" height="29" fill="#fff"/><g fill="#000">` +
    `${finder(0, 0)}${finder(14, 0)}${finder(0, 14)}<path d="${cells}"/></g></svg>`
  );
}

/**
 * A recovery key as core reads one typed by a person: spaces and dashes left out, any case,
 * and 0, 1, 8 read as O, I, B.
 */
const typedRecoveryKey = (text: string) =>
  text.replace(/[\s-]/g, '').toUpperCase().replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');

/** A temporary password as core makes one: four groups of four, e.g. `hq7m-x3ke-pa9t-2nwc`. */
function temporaryPassword(): string {
  const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
  const chars = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => ALPHABET[b % 32]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/**
 * What a user whose password someone else chose may do until they choose their own (core's
 * `may_attempt`): open the session, read what it opened, set their own password.
 */
const BEFORE_OWN_PASSWORD: readonly Action[] = [
  'session.open',
  'vault.info',
  'staff.set_own_password',
];

/** The recovery key the stand-in's `vaultCreate` gives. */
const FIRST_RECOVERY_KEY = 'K7Q2M-4XRTA-9PZ3H-WN8CD-E5VJF-2GKBY-6HMQS-T3RXA-PZ9WN-4CDEV-JF7QA';

/** A new random recovery key as core shows one: 55 base32 characters in 11 groups of five. */
function freshRecoveryKey(): string {
  const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = crypto.getRandomValues(new Uint8Array(55));
  const chars = [...bytes].map((b) => BASE32[b % 32]).join('');
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += 5) groups.push(chars.slice(i, i + 5));
  return groups.join('-');
}

const now = () => new Date().toISOString();
let counter = 0;
const uuid = () => `00000000-0000-7000-8000-${String(++counter).padStart(12, '0')}`;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function humanId(n: number): string {
  for (let check = 0; check < 32; check++) {
    const body = String(n).padStart(7, '0');
    const id = parseHumanId(body + ALPHABET[check]);
    if (id) return id;
  }
  return fail('internal', 'no human id');
}

/** The image format by its first bytes, as the backend judges it (never by the name). */
function sniff(b: Uint8Array): 'jpeg' | 'png' | 'webp' | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...b.subarray(from, to));
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return null;
}

/** Width and height from a PNG header or a JPEG frame header, when they can be read. */
function dimensions(b: Uint8Array, format: string): [number, number] | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (format === 'png' && b.length >= 24) return [view.getUint32(16), view.getUint32(20)];
  if (format === 'jpeg') {
    let i = 2;
    while (i + 9 < b.length && b[i] === 0xff) {
      const marker = b[i + 1] ?? 0;
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return [view.getUint16(i + 7), view.getUint16(i + 5)];
      }
      i += 2 + view.getUint16(i + 2);
    }
  }
  return null;
}

function fingerprint(b: Uint8Array): string {
  let h = 2166136261;
  for (const x of b) h = Math.imul(h ^ x, 16777619) >>> 0;
  return `${b.length}:${h.toString(16)}`;
}

/** The thumbnail's size: the long edge at most 320 px. */
function thumbSize(width: number, height: number): [number, number] {
  const scale = Math.min(1, 320 / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** A drawn stand-in image of the photo's proportions (for photos added without bytes). */
function drawn(photo: Photo, variant: PhotoVariant): string {
  const [w, h] =
    variant === 'thumb' ? [photo.thumb_width, photo.thumb_height] : [photo.width, photo.height];
  const hue = Number.parseInt(photo.id.slice(-4), 16) % 360;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">` +
    `<rect width="100%" height="100%" fill="hsl(${hue} 35% 70%)"/>` +
    `<circle cx="${w / 2}" cy="${h / 2}" r="${Math.min(w, h) / 4}" fill="hsl(${hue} 35% 45%)"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();

/**
 * A name as core compares it for likely duplicates: accents and case folded, letters and
 * digits only ("José Marie-Claire" is "jose marie claire").
 */
const foldedName = (given: string, family: string) =>
  `${given} ${family}`
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');

/** The last eight digits of a phone number with at least six, as core compares them. */
function phoneKey(phone: string | null | undefined): string | null {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length < 6 ? null : digits.slice(-8);
}

/** The tables whose rows move with a merge (core's `MOVED_TABLES`). */
const MOVED_TABLES = ['encounters', 'narratives', 'photos', 'consents'] as const;
type MovedTable = (typeof MOVED_TABLES)[number];

export function createFakeBackend(
  options: { vaultExists?: boolean; users?: FakeUser[]; language?: Language } = {},
): FakeBackend {
  const listeners = new Set<(e: SessionLocked) => void>();
  const failures = new Map<string, number>();
  const calls: string[] = [];
  const users = options.users ?? [
    { username: 'ana', password: 'correct horse battery', role: 'admin', display_name: 'Ana' },
    { username: 'rui', password: 'another long secret', role: 'clinician', display_name: 'Rui' },
  ];
  const account = (u: FakeUser): StaffAccount => ({
    id: uuid(),
    username: u.username,
    display_name: u.display_name ?? u.username,
    role: u.role,
    status: 'active',
    created_at: now(),
    disabled_at: null,
    must_change_password: u.must_change_password ?? false,
  });
  const state: FakeBackend['state'] = {
    vaultExists: options.vaultExists ?? true,
    vaultDamaged: false,
    erasuresSinceBackup: null,
    session: null,
    settings: {
      auto_lock_minutes: 5,
      keep_photo_location: false,
      language: options.language ?? 'en',
    },
    users,
    staff: users.map(account),
    patients: [],
    encounters: [],
    encounterRevisions: [],
    narratives: [],
    revisions: [],
    consents: [],
    credentials: [],
    photos: [],
    audit: [],
    backups: [],
    backupFiles: new Map(),
    schedule: {
      enabled: false,
      interval_hours: 24,
      destinations: [],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: null,
    },
    missingFolders: ['/media/unplugged'],
    backupCancelled: false,
    retention: {
      inactive_patients: null,
      photos: null,
      narratives: null,
      encounters: null,
      audit_entries_years: null,
      binned_days: 30,
    },
    exports: new Map(),
    exportLog: [],
    exportFiles: new Map(),
    exportCancelled: false,
    grants: [],
    codeFailures: { count: 0, last: 0 },
    cameras: [{ id: 'camera:0', name: 'Stand-in camera' }],
    scanText: null,
    scanFailure: null,
    scanning: null,
    imageTexts: [],
    vaultInUse: false,
    recoveryKey: FIRST_RECOVERY_KEY,
    merges: [],
    chosenFolder: '/media/usb/TESSERA',
    transfer: freshTransferState(),
  };
  const scheduledListeners = new Set<(e: ScheduledBackupEvent) => void>();
  const urls = new Map<string, string>();

  // The camera scan under way (one at a time, like the shell's): its callback and the timer
  // of its next frame. Every event arrives after a timer, as from the shell's thread.
  let scan: { on_event: (e: ScanEvent) => void; timer: ReturnType<typeof setTimeout> } | null =
    null;
  const endScan = (message: string | null) => {
    if (!scan) return;
    const { on_event, timer } = scan;
    clearTimeout(timer);
    scan = null;
    state.scanning = null;
    setTimeout(() => on_event({ kind: 'stopped', message }), 0);
  };

  /** The open session, whatever its user may do (touch it, choose their own password). */
  const opened = () => state.session ?? fail('no_session', 'the vault is locked; sign in again');
  /**
   * The open session, for anything else: like core, refused while its user must choose their
   * own password, before the policy is asked.
   */
  const session = () => {
    const s = opened();
    if (s.must_change_password) {
      fail(
        'password_change_required',
        `${s.username} must choose a new password before doing anything else (\`tessera user passwd\`, or the app's sign-in)`,
      );
    }
    return s;
  };
  const audit = (
    action: string,
    resource_type: string,
    resource_id: string | null,
    after: JsonValue = null,
  ) => {
    state.audit.push({
      seq: state.audit.length + 1,
      at: now(),
      actor_id: null,
      actor: state.session?.username ?? 'system',
      session_id: 'demo',
      action,
      resource_type,
      resource_id,
      before: null,
      after,
      reason: null,
    });
  };
  // Like core: a role's permissions, from core's own (generated) policy table.
  const permit = (role: Role, action: Action) => {
    if (!POLICY[role].includes(action)) fail('denied', `${role} may not ${action}`);
  };
  const authorize = (action: Action) => {
    const s = session();
    permit(s.role, action);
    return s;
  };
  const findPatient = (key: string) => {
    const human = parseHumanId(key);
    return (
      state.patients.find((p) => p.id === key || p.human_id === human) ??
      fail('not_found', `patient not found: ${key}`)
    );
  };
  // Like core: a private photo is seen by its importer and admins only.
  const visible = (p: Photo) => {
    const s = session();
    return p.privacy === 'staff' || s.role === 'admin' || p.imported_by === s.username;
  };
  // Like core: a private narrative is read by its writer and admins only.
  const readable = (n: Narrative) => {
    const s = session();
    return !n.private || s.role === 'admin' || n.author === s.username;
  };
  const findNarrative = (id: string) => {
    const n =
      state.narratives.find((x) => x.id === id) ?? fail('not_found', `narrative not found: ${id}`);
    if (!readable(n)) {
      fail(
        'denied',
        `${session().role} may not read a narrative another staff member keeps private`,
      );
    }
    return n;
  };
  const findPhoto = (id: string) => {
    const found =
      state.photos.find((x) => x.photo.id === id) ?? fail('not_found', `photo not found: ${id}`);
    if (!visible(found.photo)) {
      fail('denied', `${session().role} may not see a photo another staff member keeps private`);
    }
    return found;
  };
  const newPhoto = (patient: Patient, fields: Partial<Photo>): Photo => {
    const [width, height] = [fields.width ?? 1200, fields.height ?? 900];
    const [thumb_width, thumb_height] = thumbSize(width, height);
    return {
      id: uuid(),
      patient_id: patient.id,
      format: 'jpeg',
      byte_size: 0,
      taken_at: null,
      camera_make: null,
      camera_model: null,
      location: null,
      caption: null,
      source_name: null,
      privacy: 'staff',
      imported_by: state.session?.username ?? 'ana',
      imported_at: now(),
      deleted_at: null,
      ...fields,
      width,
      height,
      thumb_width,
      thumb_height,
    };
  };
  const setDeleted = (photo_id: string, deleted: boolean) => {
    authorize('photo.delete');
    const p = findPhoto(photo_id).photo;
    if (deleted && p.deleted_at) fail('conflict', 'the photo is already in the bin');
    if (!deleted && !p.deleted_at) fail('conflict', 'the photo is not in the bin');
    p.deleted_at = deleted ? now() : null;
    audit('photo.delete', 'photo', p.id, { in_bin: deleted });
    return { ...p };
  };

  const summary = (p: Patient): PatientSummary => ({
    id: p.id,
    human_id: p.human_id,
    given_name: p.given_name,
    family_name: p.family_name,
    date_of_birth: p.date_of_birth ?? null,
    status: p.status,
  });
  const byName = (a: Patient, b: Patient) =>
    `${a.family_name} ${a.given_name}`.localeCompare(`${b.family_name} ${b.given_name}`);

  // Likely duplicates, like core's: patients not in the bin with the same folded name and
  // date of birth, or a phone ending in the same digits; the check is audited as a search.
  const duplicatesOf = (profile: Profile): PatientSummary[] => {
    const name = foldedName(profile.given_name, profile.family_name);
    const phone = phoneKey(profile.phone);
    const found = state.patients
      .filter((p) => !p.deleted_at)
      .filter((p) => {
        const samePerson =
          !!profile.date_of_birth &&
          p.date_of_birth === profile.date_of_birth &&
          foldedName(p.given_name, p.family_name) === name;
        const theirs = phoneKey(p.phone);
        const samePhone =
          phone !== null && theirs !== null && (phone.endsWith(theirs) || theirs.endsWith(phone));
        return samePerson || samePhone;
      })
      .sort(byName)
      .slice(0, 10);
    audit('patient.search', 'patient', null, {
      duplicates_of: 'registration',
      results: found.length,
    });
    return found.map(summary);
  };

  // Merges, like core's: a patient's rows that move with one, by table; a merged-away record
  // in the bin, or erased by retention, opens its survivor.
  const rowsOf = (table: MovedTable): { id: string; patient_id: string }[] => {
    switch (table) {
      case 'encounters':
        return state.encounters;
      case 'narratives':
        return state.narratives;
      case 'photos':
        return state.photos.map((x) => x.photo);
      case 'consents':
        return state.consents;
    }
  };
  const activeMergeOf = (patientId: string) =>
    state.merges.find((m) => m.merged_id === patientId && !m.undone_at && !m.settled);
  const mergesInto = (survivorId: string) =>
    state.merges.filter((m) => m.survivor_id === survivorId && !m.undone_at && !m.settled);
  const mergedInto = (p: Patient) => (p.deleted_at ? activeMergeOf(p.id) : undefined);
  const followingMerges = (key: string): Patient => {
    const human = parseHumanId(key);
    const redirect = state.merges.find(
      (m) => !m.undone_at && (m.merged_id === key || m.merged_human_id === human),
    );
    let p =
      state.patients.find((x) => x.id === key || x.human_id === human) ??
      findPatient(redirect?.survivor_id ?? key);
    for (let m = mergedInto(p); m; m = mergedInto(p)) p = findPatient(m.survivor_id);
    return p;
  };
  const currentPatient = (key: string) => {
    const p = followingMerges(key);
    if (p.deleted_at) fail('conflict', `patient ${key} is deleted; restore it first`);
    return p;
  };
  const mergeView = (m: FakeMerge): PatientMerge => ({
    merged_id: m.merged_id,
    merged_human_id: m.merged_human_id,
    survivor_id: m.survivor_id,
    moved: Object.fromEntries(MOVED_TABLES.map((table) => [table, m.moved[table].length])),
    merged_at: m.merged_at,
    merged_by: m.merged_by,
    undone_at: m.undone_at,
    undoable: !m.undone_at && !m.settled,
  });
  // What an erasure leaves of the merges a patient took part in: retention emptying the bin
  // of a merged-away record keeps its redirect (and records merged into it follow it); any
  // other erasure forgets every merge naming the patient.
  const forgetMerges = (patientId: string, keepRedirect: boolean) => {
    const redirect = keepRedirect ? activeMergeOf(patientId) : undefined;
    if (!redirect) {
      state.merges = state.merges.filter(
        (m) => m.merged_id !== patientId && m.survivor_id !== patientId,
      );
      return;
    }
    redirect.settled = true;
    redirect.moved = { encounters: [], narratives: [], photos: [], consents: [] };
    for (const m of state.merges) {
      if (m.survivor_id === patientId) m.survivor_id = redirect.survivor_id;
    }
  };

  const invalid = (field: string, message: string): never => {
    throw { code: 'invalid', message: `${field}: ${message}`, field } satisfies ApiError;
  };

  // Accounts, like core's: a new password's rules, a sign-in's lock-out after five wrong
  // tries, and a password someone else chose, which its owner must replace.
  const checkPassword = (password: string, username: string) => {
    if ([...password].length < 10) invalid('password', 'must be at least 10 characters');
    if (new TextEncoder().encode(password).length > 1024) {
      invalid('password', 'must be at most 1024 bytes');
    }
    if (password.trim().toLowerCase() === username.toLowerCase()) {
      invalid('password', 'must not be the user name');
    }
  };
  const refuseLockedOut = (username: string) => {
    if ((failures.get(username) ?? 0) < 5) return;
    throw {
      code: 'locked_out',
      message: 'too many failed sign-ins: this account is locked for another 30 s',
      retry_after_secs: 30,
    } satisfies ApiError;
  };
  const staffAccount = (username: string) =>
    state.staff.find((a) => a.username === username) ??
    fail('not_found', `account not found: ${username}`);
  const sessionFor = (user: FakeUser, mustChange: boolean): SessionInfo => ({
    username: user.username,
    role: user.role,
    auto_lock_minutes: state.settings.auto_lock_minutes,
    permissions: POLICY[user.role].filter((a) => !mustChange || BEFORE_OWN_PASSWORD.includes(a)),
    upgrade: null,
    must_change_password: mustChange,
  });
  /** Gives `account` a temporary password, which its owner must replace (a reset, an enable). */
  const handOver = (account: StaffAccount): HandedOverPassword => {
    const password = temporaryPassword();
    state.users = state.users.filter((u) => u.username !== account.username);
    state.users.push({
      username: account.username,
      password,
      role: account.role,
      display_name: account.display_name,
    });
    failures.delete(account.username);
    account.status = 'active';
    account.disabled_at = null;
    account.must_change_password = true;
    return { account: { ...account }, password };
  };
  /** Opens the vault with a typed recovery key, as core would, or refuses it. */
  const recoveryOpens = (typed: string) => {
    if (typedRecoveryKey(typed) !== typedRecoveryKey(state.recoveryKey)) {
      fail('bad_credentials', 'wrong recovery key');
    }
    audit('session.open', 'session', null, { by: 'recovery-key' });
  };

  // Visits, like core's `encounters`: a new or corrected visit checked (its date read and
  // not in the future, its texts trimmed, its reason required, its vital signs plausible);
  // a visit corrected or voided only while it is not voided and its patient not in the bin.
  type CheckedVisit = Pick<
    Encounter,
    'occurred_at' | 'kind' | 'reason' | 'notes' | 'diagnoses' | 'treatments' | 'vitals'
  >;
  const checkedVisit = (encounter: NewEncounter): CheckedVisit => {
    const occurred = new Date(
      /^\d{4}-\d{2}-\d{2}$/.test(encounter.occurred_at)
        ? `${encounter.occurred_at}T00:00:00Z`
        : encounter.occurred_at,
    );
    if (Number.isNaN(occurred.getTime())) {
      invalid('date', `${JSON.stringify(encounter.occurred_at)} is not a date`);
    }
    if (occurred.getTime() > Date.now() + 86_400_000) {
      invalid('date', `${encounter.occurred_at.trim()} is in the future`);
    }
    const reason = encounter.reason.trim() || invalid('reason', 'is required');
    const pulse = encounter.vitals.pulse;
    if (pulse != null && (pulse < 20 || pulse > 250)) {
      invalid('pulse', `${pulse} bpm is outside the plausible range 20-250 bpm`);
    }
    const { bp_systolic: sys, bp_diastolic: dia } = encounter.vitals;
    if ((sys == null) !== (dia == null)) {
      invalid('blood pressure', 'give both values, systolic/diastolic (e.g. 120/80)');
    }
    if (sys != null && dia != null && sys <= dia) {
      invalid('blood pressure', `${sys}/${dia}: the systolic value must be above the diastolic`);
    }
    const texts = (list: string[]) => list.map((x) => x.trim()).filter((x) => x.length > 0);
    const notes = encounter.notes?.trim();
    const vitals = Object.fromEntries(
      Object.entries(encounter.vitals).filter(([, v]) => v != null),
    ) as Encounter['vitals'];
    return {
      occurred_at: occurred.toISOString().replace('.000Z', 'Z'),
      kind: encounter.kind,
      reason,
      ...(notes ? { notes } : {}),
      diagnoses: texts(encounter.diagnoses),
      treatments: texts(encounter.treatments),
      vitals,
    };
  };
  const sameVisit = (before: Encounter, after: CheckedVisit) => {
    const vital = (v: Encounter['vitals'], k: string) => v[k as keyof typeof v] ?? null;
    const keys = new Set([...Object.keys(before.vitals), ...Object.keys(after.vitals)]);
    return (
      Date.parse(before.occurred_at) === Date.parse(after.occurred_at) &&
      before.kind === after.kind &&
      before.reason === after.reason &&
      (before.notes ?? null) === (after.notes ?? null) &&
      JSON.stringify(before.diagnoses) === JSON.stringify(after.diagnoses) &&
      JSON.stringify(before.treatments) === JSON.stringify(after.treatments) &&
      [...keys].every((k) => vital(before.vitals, k) === vital(after.vitals, k))
    );
  };
  const findEncounter = (id: string) =>
    state.encounters.find((e) => e.id === id) ?? fail('not_found', `visit not found: ${id}`);
  const correctable = (id: string) => {
    const e = findEncounter(id);
    const p = findPatient(e.patient_id);
    if (p.deleted_at) fail('conflict', `patient ${e.patient_id} is deleted; restore it first`);
    if (e.voided) invalid('encounter', 'this visit was voided; it cannot be changed');
    return e;
  };
  const fullPath = (field: string, text: string) => {
    const path = text.trim();
    if (!path) invalid(field, 'type the full path of a folder or file');
    if (!path.startsWith('/')) {
      invalid(
        field,
        `${path} is not a full path; start from the root, e.g. /media/usb/tessera-backups`,
      );
    }
    return path.replace(/\/+$/, '') || '/';
  };
  const rowCounts = (): Record<string, number> => ({
    audit_log: state.audit.length,
    encounters: state.encounters.length,
    narratives: state.narratives.length,
    patients: state.patients.length,
    photos: state.photos.length,
    staff: state.staff.length,
  });
  const stamp = (iso: string) => iso.replace(/[^0-9TZ]/g, '').slice(0, 16);
  const openBackup = (
    file: string,
    passphrase: string | null | undefined,
    identity_file: string | null | undefined,
    username: string,
    password: string,
  ) => {
    const path = fullPath('file', file);
    const stored =
      state.backupFiles.get(path) ??
      fail('internal', `cannot read ${path}: No such file or directory (os error 2)`);
    const record = state.backups.find((r) => r.file === path);
    if (!passphrase && !identity_file) {
      invalid('passphrase', "give the backup's passphrase or an age identity file");
    }
    const opens = stored.passphrase
      ? passphrase === stored.passphrase
      : !!identity_file?.trim() && !passphrase;
    if (!opens) {
      throw {
        code: 'invalid',
        field: 'passphrase',
        message: `the backup ${path} cannot be decrypted: wrong passphrase or key (or its encryption header is damaged)`,
      } satisfies ApiError;
    }
    const user = state.users.find((u) => u.username === username);
    if (!user || user.password !== password) fail('bad_credentials', 'wrong user name or password');
    const report: BackupVerifyReport = {
      file: path,
      backup_id: record?.id ?? uuid(),
      vault_id: '00000000-0000-7000-8000-000000000000',
      created_at: record?.started_at ?? now(),
      created_by: record?.created_by ?? user.username,
      kind: record?.kind === 'incremental' ? 'incremental' : 'full',
      members: 4 + (stored.rowCounts.photos ?? 0) * 2,
      blobs: (stored.rowCounts.photos ?? 0) * 2,
      chain: [],
      row_counts: stored.rowCounts,
      audit_head: { count: stored.auditEntries, mac: '00'.repeat(32) },
      missing_blobs: 0,
    };
    return { report, record, user };
  };
  // Like core: a schedule that is on needs a folder and the public key its backups are
  // encrypted to (the vault stores no secret that opens them); so does running it now.
  const runnableProblem = (s: BackupSchedule) => {
    if (s.destinations.length === 0) invalid('destination', 'add at least one destination');
    if (!s.recipient) {
      invalid('recipient', 'the configured backup needs an age public key to encrypt to');
    }
  };
  const scheduleProblem = (s: BackupSchedule) => {
    if (s.interval_hours < 1 || s.interval_hours > 720) {
      invalid('interval', 'must be between 1 and 720 hours');
    }
    if (s.keep_last < 1) invalid('keep-last', 'must keep at least one backup');
    if (s.warn_after_hours < 1) invalid('warn-after', 'must be at least one hour');
    for (const d of s.destinations) {
      if (!d.startsWith('/')) invalid('destination', `${d} is not an absolute path`);
    }
    if (s.recipient && !s.recipient.startsWith('age1')) {
      invalid('recipient', `"${s.recipient}" is not an age public key (age1…)`);
    }
    if (s.enabled) runnableProblem(s);
  };

  // Writes a backup of the vault into `dest` as `username`, audited as `action` (a failed or
  // cancelled attempt is recorded as failed), reporting four progress steps; the caller
  // checked the arguments.
  const writeBackup = async (
    action: Action,
    username: string,
    dest: string,
    key: string | null,
    to: string | null,
    full: boolean,
    on_progress: (p: Progress) => void,
  ): Promise<BackupRecord> => {
    const started = now();
    const record: BackupRecord = {
      id: uuid(),
      started_at: started,
      finished_at: null,
      destination: dest,
      file_name: null,
      file: null,
      kind: 'full',
      trigger: 'manual',
      status: 'failed',
      error: null,
      byte_size: null,
      blobs_stored: 0,
      blobs_referred: 0,
      depends_on: [],
      encryption: key ? 'passphrase' : 'recipient',
      verified_at: null,
      created_by: username,
    };
    const failed = (error: ApiError): never => {
      state.backups.unshift({ ...record, finished_at: now(), error: error.message });
      audit('backup.failed', 'backup', record.id);
      throw error;
    };
    if (state.missingFolders.some((m) => dest === m || dest.startsWith(`${m}/`))) {
      failed({
        code: 'internal',
        message: `the backup destination ${dest} is not available: No such file or directory (os error 2)`,
      });
    }
    const total = 4_000_000;
    for (let step = 1; step <= 4; step++) {
      // `backend` becomes the FakeBackend below: a test may have replaced its step.
      await (backend as FakeBackend).backupStep();
      if (state.backupCancelled) failed({ code: 'cancelled', message: 'cancelled' });
      on_progress({ done_bytes: step * 1_000_000, total_bytes: total });
    }
    const earlier = state.backups.some((r) => r.destination === dest && r.status === 'ok');
    const kind = earlier && !full ? 'incremental' : 'full';
    const file_name = `tessera-backup-${stamp(started)}-${record.id.slice(-8)}-${kind}.age`;
    const done: BackupRecord = {
      ...record,
      finished_at: now(),
      file_name,
      file: `${dest}/${file_name}`,
      kind,
      status: 'ok',
      byte_size: total,
      blobs_stored: state.photos.length * 2,
    };
    state.backups.unshift(done);
    state.backupFiles.set(done.file ?? '', {
      passphrase: key,
      recipient: to,
      rowCounts: rowCounts(),
      auditEntries: state.audit.length,
    });
    audit(action, 'backup', done.id);
    return { ...done };
  };
  // Removes the good backups of `dest` beyond the newest `keep_last` and older than
  // `keep_days` (or, with `dry_run`, only says which).
  const pruneFolder = (
    dest: string,
    keep_last: number,
    keep_days: number,
    dry_run: boolean,
  ): PruneReport => {
    const good = state.backups.filter((r) => r.destination === dest && r.status === 'ok');
    const young = (r: BackupRecord) =>
      Date.now() - Date.parse(r.started_at) < keep_days * 86_400_000;
    const removed = good.filter((r, i) => i >= keep_last && !young(r)).reverse();
    if (!dry_run) {
      for (const r of removed) {
        r.status = 'pruned';
        audit('backup.prune', 'backup', r.id);
      }
    }
    return {
      removed: removed.map((r) => ({ ...r })),
      kept: good.length - removed.length,
      freed_bytes: removed.reduce((sum, r) => sum + (r.byte_size ?? 0), 0),
      dry_run,
    };
  };

  // Erasure and retention, like core: admins only; a patient's trail is what the audit log
  // holds about them or their records, and it is redacted when they are erased.
  const trailOf = (patientId: string) =>
    new Set([
      patientId,
      ...state.encounters.filter((e) => e.patient_id === patientId).map((e) => e.id),
      ...state.narratives.filter((n) => n.patient_id === patientId).map((n) => n.id),
      ...state.photos.filter((x) => x.photo.patient_id === patientId).map((x) => x.photo.id),
      ...state.consents.filter((c) => c.patient_id === patientId).map((c) => c.id),
    ]);
  const redact = (ids: Set<string>) => {
    let count = 0;
    for (const r of state.audit) {
      if (r.resource_id !== null && ids.has(r.resource_id) && !r.redacted_at) {
        if (r.before === null && r.after === null && r.reason === null) continue;
        r.before = null;
        r.after = null;
        r.reason = null;
        r.redacted_at = now();
        count += 1;
      }
    }
    return count;
  };
  const dropVisitRevisions = (ids: Set<string>) => {
    state.encounterRevisions = state.encounterRevisions.filter((r) => !ids.has(r.encounter.id));
  };
  // Like core: a visit kept for statistics loses its texts, and a void its who and why.
  const anonymiseVisit = (e: Encounter) => {
    e.reason = '';
    delete e.notes;
    e.diagnoses = [];
    e.treatments = [];
    e.version += 1;
    if (e.voided) e.voided = { at: e.voided.at, by: '', reason: '' };
  };
  const eraseIn = (p: Patient, asked: ErasureReport['mode'], by: string): ErasureReport => {
    // Like core: duplicates merged into the record (still in the bin) are the same person and
    // go with it, deleted; a merged-away record is deleted, never kept as a second person.
    const merged = mergesInto(p.id);
    for (const m of merged) eraseIn(findPatient(m.merged_id), 'delete', by);
    const mergedAway = activeMergeOf(p.id) !== undefined;
    const mode = mergedAway ? 'delete' : asked;
    const narrativeIds = new Set(
      state.narratives.filter((n) => n.patient_id === p.id).map((n) => n.id),
    );
    const report: ErasureReport = {
      patient_id: p.id,
      mode,
      encounters: state.encounters.filter((e) => e.patient_id === p.id).length,
      narratives: narrativeIds.size,
      narrative_revisions: state.revisions.filter((r) => narrativeIds.has(r.narrative_id)).length,
      consents: state.consents.filter((c) => c.patient_id === p.id).length,
      photos: state.photos.filter((x) => x.photo.patient_id === p.id).length,
      photo_files_deleted: state.photos.filter((x) => x.photo.patient_id === p.id).length * 3,
      audit_entries_redacted: redact(trailOf(p.id)),
      audit_entries_not_redactable: 0,
      access_grants_revoked: state.grants.filter((x) => x.grant.patient_id === p.id).length,
      export_log_entries: state.exportLog.filter((e) => e.patient_id === p.id).length,
      merged_records: merged.length,
      wal_truncated: true,
      anonymised_as: null,
    };
    forgetMerges(p.id, mergedAway && by === 'retention');
    // Like core: the export log's entries would name the patient (the files are elsewhere).
    state.exportLog = state.exportLog.filter((e) => e.patient_id !== p.id);
    // Like core: a patient's grants go with them (to a holder, that is a revocation).
    state.grants = state.grants.filter((x) => x.grant.patient_id !== p.id);
    state.revisions = state.revisions.filter((r) => !narrativeIds.has(r.narrative_id));
    state.narratives = state.narratives.filter((n) => n.patient_id !== p.id);
    state.photos = state.photos.filter((x) => x.photo.patient_id !== p.id);
    state.consents = state.consents.filter((c) => c.patient_id !== p.id);
    // Like core: the earlier versions of the visits hold the same clinical text.
    dropVisitRevisions(
      new Set(state.encounters.filter((e) => e.patient_id === p.id).map((e) => e.id)),
    );
    if (mode === 'delete') {
      state.encounters = state.encounters.filter((e) => e.patient_id !== p.id);
      state.patients = state.patients.filter((x) => x.id !== p.id);
    } else {
      for (const e of state.encounters.filter((x) => x.patient_id === p.id)) anonymiseVisit(e);
      const anonymised: Patient = {
        id: p.id,
        human_id: humanId(1_000_000 + state.patients.length + state.audit.length),
        version: p.version + 1,
        given_name: 'Anonymised',
        family_name: 'patient',
        date_of_birth: p.date_of_birth ? p.date_of_birth.slice(0, 4) : null,
        sex: p.sex ?? null,
        blood_type: p.blood_type ?? null,
        organ_donor: p.organ_donor ?? null,
        status: p.status,
        created_at: p.created_at,
        updated_at: now(),
      };
      state.patients = state.patients.map((x) => (x.id === p.id ? anonymised : x));
      // Like core: told to the admin who asked, never written to the tombstone.
      report.anonymised_as = anonymised.human_id;
    }
    audit('patient.erase', 'patient', p.id, {
      mode,
      by,
      encounters: report.encounters,
      narratives: report.narratives,
      photos: report.photos,
      audit_entries_redacted: report.audit_entries_redacted,
    });
    return report;
  };
  const yearsBefore = (at: number, years: number) => {
    const d = new Date(at);
    d.setUTCFullYear(d.getUTCFullYear() - years);
    return d.getTime();
  };
  const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : 0);
  const retentionPlan = (policy: RetentionPolicy, at: number): RuleReport[] => {
    const rules: RuleReport[] = [];
    const done = new Set<string>();
    const rule = (
      kind: RuleReport['rule'],
      action: RuleReport['action'],
      cutoff: number,
      items: RetentionItem[],
    ): RuleReport => ({
      rule: kind,
      action,
      cutoff: new Date(cutoff).toISOString(),
      count: items.length,
      items,
      through_seq: null,
    });
    const patients = (old: (p: Patient) => boolean) =>
      state.patients
        .filter((p) => !done.has(p.id) && old(p))
        .map((p) => {
          done.add(p.id);
          return { id: p.id, human_id: p.human_id, patient_id: null };
        });
    const owned = <T extends { id: string; patient_id: string }>(rows: T[]) =>
      rows
        .filter((x) => !done.has(x.patient_id))
        .map((x) => ({
          id: x.id,
          human_id: state.patients.find((p) => p.id === x.patient_id)?.human_id ?? null,
          patient_id: x.patient_id,
        }));
    const bin = policy.binned_days === null ? null : at - policy.binned_days * 86_400_000;
    if (bin !== null) {
      const items = patients((p) => !!p.deleted_at && ms(p.deleted_at) < bin);
      rules.push(rule('binned_patients', 'delete', bin, items));
    }
    if (policy.inactive_patients) {
      const cutoff = yearsBefore(at, policy.inactive_patients.years);
      const last = (p: Patient) =>
        Math.max(
          ms(p.updated_at),
          ...state.encounters
            .filter((e) => e.patient_id === p.id)
            .map((e) => Math.max(ms(e.occurred_at), ms(e.created_at))),
          ...state.narratives.filter((n) => n.patient_id === p.id).map((n) => ms(n.updated_at)),
          ...state.photos
            .filter((x) => x.photo.patient_id === p.id)
            .map((x) => ms(x.photo.imported_at)),
        );
      const items = patients((p) => last(p) < cutoff);
      rules.push(rule('inactive_patients', policy.inactive_patients.action, cutoff, items));
    }
    const photos = state.photos.map((x) => x.photo);
    const photosDone = new Set<string>();
    if (bin !== null) {
      const items = owned(photos.filter((x) => !!x.deleted_at && ms(x.deleted_at) < bin));
      for (const i of items) photosDone.add(i.id);
      rules.push(rule('binned_photos', 'delete', bin, items));
    }
    if (policy.photos) {
      const cutoff = yearsBefore(at, policy.photos.years);
      const items = owned(
        photos.filter((x) => !photosDone.has(x.id) && ms(x.imported_at) < cutoff),
      );
      rules.push(rule('photos', 'delete', cutoff, items));
    }
    if (policy.narratives) {
      const cutoff = yearsBefore(at, policy.narratives.years);
      const items = owned(state.narratives.filter((n) => ms(n.updated_at) < cutoff));
      rules.push(rule('narratives', 'delete', cutoff, items));
    }
    if (policy.encounters) {
      const { action, years } = policy.encounters;
      const cutoff = yearsBefore(at, years);
      const items = owned(
        state.encounters.filter(
          (e) =>
            ms(e.occurred_at) < cutoff &&
            (action === 'delete' ||
              !!e.reason ||
              !!e.notes ||
              e.diagnoses.length > 0 ||
              e.treatments.length > 0),
        ),
      );
      rules.push(rule('encounters', action, cutoff, items));
    }
    if (policy.audit_entries_years !== null) {
      const cutoff = yearsBefore(at, policy.audit_entries_years);
      const firstKept = state.audit.findIndex((r) => ms(r.at) >= cutoff);
      const old = firstKept < 0 ? state.audit : state.audit.slice(0, firstKept);
      const report = rule('audit_entries', 'delete', cutoff, []);
      report.count = old.length;
      report.through_seq = old.length > 0 ? (old[old.length - 1]?.seq ?? null) : null;
      rules.push(report);
    }
    return rules;
  };
  const retentionApply = (rules: RuleReport[]) => {
    let files = 0;
    for (const r of rules) {
      const ids = new Set(r.items.map((i) => i.id));
      if (r.rule === 'binned_patients' || r.rule === 'inactive_patients') {
        for (const p of state.patients.filter((x) => ids.has(x.id))) {
          files += eraseIn(p, r.action, 'retention').photo_files_deleted;
        }
      } else if (r.rule === 'binned_photos' || r.rule === 'photos') {
        files += state.photos.filter((x) => ids.has(x.photo.id)).length * 3;
        state.photos = state.photos.filter((x) => !ids.has(x.photo.id));
      } else if (r.rule === 'narratives') {
        redact(ids);
        state.revisions = state.revisions.filter((x) => !ids.has(x.narrative_id));
        state.narratives = state.narratives.filter((x) => !ids.has(x.id));
      } else if (r.rule === 'encounters') {
        redact(ids);
        dropVisitRevisions(ids);
        if (r.action === 'delete') {
          state.encounters = state.encounters.filter((x) => !ids.has(x.id));
        } else {
          for (const e of state.encounters.filter((x) => ids.has(x.id))) anonymiseVisit(e);
        }
      } else if (r.rule === 'audit_entries' && r.through_seq !== null) {
        const through = r.through_seq;
        state.audit = state.audit.filter((x) => x.seq > through);
      }
    }
    return files;
  };

  // Access grants, like core: a 6-digit code (kept in clear here; core keeps a keyed MAC), a
  // token on the card, five wrong codes free and then a 30 s wait, a view of the granted
  // sections only.
  const grantStatus = (g: Grant): Grant['status'] => {
    if (g.revoked_at) return 'revoked';
    return Date.parse(g.expires_at) <= Date.now() ? 'expired' : 'active';
  };
  const grantCopy = (x: FakeGrant): Grant => ({
    ...x.grant,
    permissions: [...x.grant.permissions],
    status: grantStatus(x.grant),
  });
  const findGrant = (id: string) =>
    state.grants.find((x) => x.grant.id === id) ??
    fail('not_found', `access grant not found: ${id}`);
  const cardOf = (x: FakeGrant): Card => ({
    token: x.token,
    qr_svg: fakeQr(x.token),
    qr_version: 4,
  });
  const newCode = () => {
    for (;;) {
      const code = String(Math.floor(Math.random() * 1_000_000)).padStart(6, '0');
      if (!state.grants.some((x) => x.code === code && grantStatus(x.grant) === 'active')) {
        return code;
      }
    }
  };
  const noteUse = (grant: string | null, method: string, outcome: string) =>
    audit('access.use', 'access_grant', grant, { method, outcome });
  // Whether the grant opens the record now; a grant that is gone was removed with its patient,
  // and a patient in the bin is closed to every grant until restored (as in core).
  const live = (x: FakeGrant | undefined, method: string): FakeGrant => {
    if (!x || x.grant.revoked_at || findPatient(x.grant.patient_id).deleted_at) {
      noteUse(x?.grant.id ?? null, method, 'revoked');
      refuse('revoked', 'this access grant was revoked');
    }
    if (grantStatus(x.grant) === 'expired') {
      noteUse(x.grant.id, method, 'expired');
      refuse('expired', 'this access grant has expired');
    }
    return x;
  };
  const sharedView = (x: FakeGrant, method: string): SharedView => {
    x.grant.uses += 1;
    x.grant.last_used_at = now();
    noteUse(x.grant.id, method, 'opened');
    const p = findPatient(x.grant.patient_id);
    const has = (section: Permission) => x.grant.permissions.includes(section);
    const newest = <T extends { patient_id: string }>(rows: T[], at: (r: T) => string) =>
      structuredClone(rows.filter((r) => r.patient_id === p.id)).sort((a, b) =>
        at(b).localeCompare(at(a)),
      );
    return {
      grant: grantCopy(x),
      patient: {
        id: p.id,
        human_id: p.human_id,
        given_name: p.given_name,
        family_name: p.family_name,
        preferred_name: p.preferred_name ?? null,
        date_of_birth: p.date_of_birth ?? null,
      },
      emergency: has('emergency')
        ? {
            medical_alerts: [...(p.medical_alerts ?? [])],
            blood_type: p.blood_type ?? null,
            organ_donor: p.organ_donor ?? null,
            emergency_contacts: structuredClone(p.emergency_contacts ?? []),
          }
        : null,
      profile: has('profile')
        ? {
            sex: p.sex ?? null,
            phone: p.phone ?? null,
            location: p.location ?? null,
            preferred_language: p.preferred_language ?? null,
            communication: structuredClone(p.communication ?? null),
            status: p.status,
            insurance: structuredClone(p.insurance ?? null),
          }
        : null,
      medications: has('medications')
        ? {
            allergies: structuredClone(p.allergies ?? []),
            medications: structuredClone(p.medications ?? []),
            chronic_conditions: [...(p.chronic_conditions ?? [])],
          }
        : null,
      visits: has('visits') ? newest(state.encounters, (e) => e.occurred_at) : null,
      // Never private photos, never the bin.
      photos: has('photos')
        ? newest(
            state.photos.map((f) => f.photo).filter((f) => f.privacy === 'staff' && !f.deleted_at),
            (f) => f.imported_at,
          )
        : null,
      // Never private narratives.
      narratives: has('narratives')
        ? newest(
            state.narratives.filter((n) => !n.private),
            (n) => n.created_at,
          )
        : null,
    };
  };

  // Exports, like core and the shell: a new file at a typed path (never over an existing
  // one), encrypted, or plain only by an explicit choice, and logged with its SHA-256. Front
  // desk exports a summary or the full record (identity and emergency information only),
  // never a referral. Checking: a path with "forged" in it is not genuine, a file this
  // stand-in wrote is, and any PNG or JPEG holds the seal of the newest PDF export.
  const exportPath = (field: string, text: string) =>
    fullPath(field, text.trim().replace(/^~(?=\/|$)/, '/home/demo'));
  const exportAction = (kind: ExportEntry['kind'], role: Role): Action =>
    (kind === 'summary' || kind === 'full') && !POLICY[role].includes('patient.view')
      ? 'export.emergency'
      : 'export.record';
  const exportDay = (field: 'from' | 'to', day: string | null | undefined) => {
    const d = day?.trim() || null;
    if (d !== null && !/^\d{4}-\d{2}-\d{2}$/.test(d)) invalid(field, 'use a date like 2026-03-31');
    return d;
  };
  const verification = (entry: ExportEntry, method: string): Verification => ({
    method,
    export_id: entry.id,
    patient: entry.human_id,
    kind: entry.kind,
    issued_by: entry.created_by,
    issued_at: entry.created_at,
    key_id: method === 'file' ? null : 'k-7f3a',
    logged: structuredClone(entry),
  });
  // Like core: every check is audited with its outcome.
  const checked = (outcome: () => Verification): Verification => {
    authorize('export.verify');
    try {
      const v = outcome();
      audit('export.verify', 'export', null, {
        genuine: true,
        method: v.method,
        export_id: v.export_id,
      });
      return v;
    } catch (error) {
      if ((error as ApiError).code === 'integrity') {
        audit('export.verify', 'export', null, {
          genuine: false,
          reason: (error as ApiError).message,
        });
      }
      throw error;
    }
  };

  // The front desk's part of a record, like core's `patients::desk`: identity, contact
  // details, emergency contacts and medical alerts. A correction changes the desk's fields
  // only; a role that may not read the whole profile registers nothing more than them (and
  // birth date, sex and status, which identify).
  const deskPart = (p: Profile): DeskCorrection =>
    structuredClone({
      given_name: p.given_name,
      family_name: p.family_name,
      preferred_name: p.preferred_name ?? null,
      contact: {
        phone: p.phone ?? null,
        location: p.location ?? null,
        preferred_language: p.preferred_language ?? null,
        communication: p.communication ?? null,
      },
      emergency_contacts: p.emergency_contacts ?? [],
    });
  const deskRecord = (p: Patient): DeskRecord => {
    const { preferred_name, contact, emergency_contacts } = deskPart(p);
    return {
      identity: {
        id: p.id,
        human_id: p.human_id,
        given_name: p.given_name,
        family_name: p.family_name,
        preferred_name,
        date_of_birth: p.date_of_birth ?? null,
      },
      version: p.version,
      contact,
      emergency_contacts,
      medical_alerts: [...(p.medical_alerts ?? [])],
    };
  };
  const withDeskPart = (p: Patient, c: DeskCorrection): Patient => {
    const text = (value: string | null | undefined) => value?.trim() || null;
    const contacts = c.emergency_contacts.map((contact) => ({
      ...contact,
      name: contact.name.trim() || invalid('emergency contact', 'needs a name'),
      phone: contact.phone.trim() || invalid('emergency contact', 'needs a phone number'),
    }));
    if (contacts.filter((contact) => contact.primary).length > 1) {
      invalid('emergency contacts', 'only one may be the first to call');
    }
    return {
      ...p,
      given_name: c.given_name.trim() || invalid('given name', 'is required'),
      family_name: c.family_name.trim() || invalid('family name', 'is required'),
      preferred_name: text(c.preferred_name),
      phone: text(c.contact.phone),
      location: text(c.contact.location),
      preferred_language: text(c.contact.preferred_language),
      communication: structuredClone(c.contact.communication),
      emergency_contacts: contacts,
    };
  };
  const DESK_REGISTRATION: readonly string[] = [
    'given_name',
    'family_name',
    'preferred_name',
    'date_of_birth',
    'sex',
    'status',
    'phone',
    'location',
    'preferred_language',
    'communication',
    'emergency_contacts',
  ];
  const checkRegistration = (role: Role, profile: Profile) => {
    if (POLICY[role].includes('patient.view')) return;
    const clinical = Object.entries(profile).filter(
      ([key, value]) =>
        !DESK_REGISTRATION.includes(key) &&
        value !== null &&
        value !== undefined &&
        !(Array.isArray(value) && value.length === 0),
    );
    if (clinical.length > 0) {
      fail('denied', `${role} may not record clinical details at registration`);
    }
  };

  // Consents, like core's: decisions are only ever added, the newest for a purpose is the one
  // in force, and only a consent in force can be withdrawn.
  const consentsOf = (patientId: string): Consent[] =>
    state.consents
      .filter((c) => c.patient_id === patientId)
      .sort((a, b) => a.recorded_at.localeCompare(b.recorded_at) || a.id.localeCompare(b.id))
      .map((c, i, all) => ({
        ...c,
        current: !all.slice(i + 1).some((later) => later.purpose === c.purpose),
      }));

  // Provider credentials, like core's: kept for clinicians, checked (names, dates, an expiry
  // not before the issue), each change based on the version read.
  const todayUtc = () => new Date().toISOString().slice(0, 10);
  const certificationDate = (field: string, text: string | null | undefined) => {
    const date = text?.trim() || null;
    if (date !== null && !isCalendarDate(date)) {
      invalid(field, `${JSON.stringify(date)} is not a date like 2026-03-31`);
    }
    return date;
  };
  const checkedCredentials = (c: Credentials): Credentials => {
    const texts = (list: string[]) => list.map((x) => x.trim()).filter(Boolean);
    return {
      licence_number: c.licence_number?.trim() || null,
      specialisations: texts(c.specialisations),
      certifications: c.certifications.map((cert) => {
        const name = cert.name.trim() || invalid('certification name', 'is required');
        const issued = certificationDate('certification issue date', cert.issued_on);
        const expires = certificationDate('certification expiry', cert.expires_on);
        if (issued && expires && expires < issued) {
          invalid(
            'certification expiry',
            `${name} expires (${expires}) before it was issued (${issued})`,
          );
        }
        return {
          name,
          issuer: cert.issuer?.trim() || null,
          issued_on: issued,
          expires_on: expires,
        };
      }),
      affiliations: texts(c.affiliations),
      verification: c.verification,
    };
  };

  const backend: Backend = {
    async appStatus() {
      calls.push('app_status');
      return {
        vault_path: '/home/demo/.local/share/tessera',
        vault_exists: state.vaultExists,
        session: state.session,
        language: state.settings.language,
      };
    },
    async vaultCreate({ admin_username, admin_display_name, password }) {
      calls.push('vault_create');
      if (state.vaultExists) fail('conflict', 'a vault already exists here');
      state.vaultExists = true;
      const admin: FakeUser = {
        username: admin_username.toLowerCase(),
        password,
        role: 'admin',
        display_name: admin_display_name,
      };
      state.users = [admin];
      state.staff = [account(admin)];
      state.recoveryKey = FIRST_RECOVERY_KEY;
      return { recovery_key: state.recoveryKey };
    },
    async sessionUnlock({ username, password }) {
      calls.push('session_unlock');
      const name = username.trim().toLowerCase();
      const user = state.users.find((u) => u.username === name);
      refuseLockedOut(name);
      if (!user || user.password !== password) {
        if (user) failures.set(name, (failures.get(name) ?? 0) + 1);
        fail('bad_credentials', 'wrong user name or password');
      }
      failures.delete(name);
      // Like core: the password opens the key, then the database fails its check.
      if (state.vaultDamaged) {
        fail('integrity', 'the vault database is damaged: a page failed authentication');
      }
      const mustChange = state.staff.find((a) => a.username === name)?.must_change_password;
      state.session = sessionFor(user, mustChange ?? false);
      audit('session.open', 'session', null);
      return state.session;
    },
    async sessionTouch() {
      calls.push('session_touch');
      opened();
      return null;
    },
    async sessionChangePassword({ current, new_password }) {
      calls.push('session_change_password');
      const s = opened();
      permit(s.role, 'staff.set_own_password');
      if (current === new_password) {
        invalid('new password', 'must differ from the current password');
      }
      // The current password is proven as a sign-in proves it: a wrong one counts.
      refuseLockedOut(s.username);
      const user = state.users.find((u) => u.username === s.username);
      if (!user || user.password !== current) {
        failures.set(s.username, (failures.get(s.username) ?? 0) + 1);
        return invalid('current password', 'is not your current password');
      }
      failures.delete(s.username);
      checkPassword(new_password, s.username);
      user.password = new_password;
      staffAccount(s.username).must_change_password = false;
      audit('staff.set_own_password', 'staff', null, { password: 'changed' });
      state.session = sessionFor(user, false);
      return state.session;
    },
    async recoveryAdmins({ recovery_key }) {
      calls.push('recovery_admins');
      recoveryOpens(recovery_key);
      return state.staff
        .filter((a) => a.role === 'admin' && a.status === 'active')
        .map((a) => ({ ...a }));
    },
    async recoverySetPassword({ recovery_key, username, new_password }) {
      calls.push('recovery_set_password');
      recoveryOpens(recovery_key);
      const account = state.staff.find((a) => a.username === username && a.role === 'admin');
      if (!account) {
        fail('not_found', "the recovery key sets admins' passwords here; choose an admin");
      }
      checkPassword(new_password, username);
      if (account.status !== 'active') {
        fail('conflict', `${username} is disabled; enable the account with a new password instead`);
      }
      const user = state.users.find((u) => u.username === username);
      if (user) user.password = new_password;
      failures.delete(username);
      return null;
    },
    async sessionLock() {
      calls.push('session_lock');
      state.session = null;
      return null;
    },
    async patientSearch({ query, limit }) {
      calls.push('patient_search');
      session();
      const words = fold(query).split(/\s+/).filter(Boolean);
      const human = parseHumanId(query);
      const found = state.patients
        .filter((p) => !p.deleted_at)
        .filter(
          (p) =>
            (human !== null && p.human_id === human) ||
            words.every((w) =>
              fold(`${p.given_name} ${p.family_name} ${p.phone ?? ''}`)
                .split(/\s+/)
                .some((x) => x.startsWith(w)),
            ),
        )
        .sort(byName)
        .slice(0, limit);
      audit('patient.search', 'patient', null, { query, results: found.length });
      return found.map(summary);
    },
    async patientCreate({ profile, not_duplicate }) {
      calls.push('patient_create');
      const s = authorize('patient.create');
      if (!profile.given_name.trim()) fail('invalid', 'given name: is required');
      checkRegistration(s.role, profile);
      const matches = not_duplicate ? [] : duplicatesOf(profile);
      if (matches.length > 0) {
        fail(
          'likely_duplicate',
          `this may be the same person as ${matches.map((m) => m.human_id).join(', ')}, already registered with the same name and date of birth, or the same phone; open that record, or register anyway if this is someone else`,
        );
      }
      const patient: Patient = {
        ...profile,
        id: uuid(),
        human_id: humanId(state.patients.length + 1),
        version: 1,
        created_at: now(),
        updated_at: now(),
      };
      state.patients.push(patient);
      audit('patient.create', 'patient', patient.id);
      return patient;
    },
    async patientDuplicates({ profile }) {
      calls.push('patient_duplicates');
      authorize('patient.search');
      return duplicatesOf(profile);
    },
    async patientDesk({ patient }) {
      calls.push('patient_desk');
      authorize('patient.view_desk');
      const p = followingMerges(patient);
      audit('patient.view_desk', 'patient', p.id, { desk: true });
      return deskRecord(p);
    },
    async patientDeskCorrect({ patient, correction, expected_version }) {
      calls.push('patient_desk_correct');
      authorize('patient.edit_desk');
      const p = currentPatient(patient);
      if (p.version !== expected_version) {
        fail(
          'conflict',
          `patient ${p.human_id} was changed since you opened it (you edited version ${expected_version}, it is now version ${p.version}); reload it and apply your change again`,
        );
      }
      const corrected = withDeskPart(p, correction);
      const before = deskPart(p);
      const after = deskPart(corrected);
      if (JSON.stringify(before) === JSON.stringify(after)) return deskRecord(p);
      const saved: Patient = { ...corrected, version: p.version + 1, updated_at: now() };
      state.patients = state.patients.map((x) => (x.id === p.id ? saved : x));
      audit('patient.edit_desk', 'patient', p.id, { before, after } as unknown as JsonValue);
      return deskRecord(saved);
    },
    async patientMerge({ survivor, other }) {
      calls.push('patient_merge');
      const s = authorize('patient.merge');
      const kept = currentPatient(survivor);
      const gone = currentPatient(other);
      if (kept.id === gone.id) invalid('patient', 'a record cannot be merged into itself');
      if (mergesInto(gone.id).length > 0) {
        fail(
          'conflict',
          `other records were merged into ${other}; merge into ${other} instead, or undo those merges first`,
        );
      }
      const moved = {} as FakeMerge['moved'];
      for (const table of MOVED_TABLES) {
        const rows = rowsOf(table).filter((r) => r.patient_id === gone.id);
        for (const r of rows) r.patient_id = kept.id;
        moved[table] = rows.map((r) => r.id);
      }
      gone.deleted_at = now();
      const merge: FakeMerge = {
        merged_id: gone.id,
        merged_human_id: gone.human_id,
        survivor_id: kept.id,
        moved,
        merged_at: now(),
        merged_by: s.username,
        undone_at: null,
        settled: false,
      };
      state.merges = [...state.merges.filter((m) => m.merged_id !== gone.id), merge];
      const view = mergeView(merge);
      audit('patient.merge', 'patient', gone.id, { merged_into: kept.id, moved: view.moved });
      audit('patient.merge', 'patient', kept.id, { merged_from: gone.id, moved: view.moved });
      return view;
    },
    async patientUnmerge({ merged }) {
      calls.push('patient_unmerge');
      authorize('patient.merge');
      const gone = findPatient(merged);
      const merge =
        activeMergeOf(gone.id) ??
        fail(
          'conflict',
          `patient ${merged} was not merged into another record, or its merge can no longer be undone`,
        );
      // Exactly the rows that moved and still belong to the survivor go back.
      const returned: Record<string, number> = {};
      for (const table of MOVED_TABLES) {
        const ids = new Set(merge.moved[table]);
        const rows = rowsOf(table).filter(
          (r) => ids.has(r.id) && r.patient_id === merge.survivor_id,
        );
        for (const r of rows) r.patient_id = gone.id;
        returned[table] = rows.length;
      }
      delete gone.deleted_at;
      merge.undone_at = now();
      audit('patient.unmerge', 'patient', gone.id, {
        merged_into: merge.survivor_id,
        returned,
      });
      return mergeView(merge);
    },
    async patientMerges({ patient }) {
      calls.push('patient_merges');
      authorize('patient.merge');
      const p = followingMerges(patient);
      return state.merges
        .filter((m) => m.survivor_id === p.id)
        .reverse()
        .map(mergeView);
    },
    async patientChart({ patient }) {
      calls.push('patient_chart');
      authorize('patient.view');
      const p = followingMerges(patient);
      audit('patient.view', 'patient', p.id);
      const encounters = state.encounters
        .filter((e) => e.patient_id === p.id)
        .sort((a, b) => b.occurred_at.localeCompare(a.occurred_at))
        .slice(0, 50);
      return { patient: structuredClone(p), encounters };
    },
    async patientUpdate({ patient, profile, expected_version }) {
      calls.push('patient_update');
      authorize('patient.edit');
      const p = findPatient(patient);
      if (p.version !== expected_version) {
        fail(
          'conflict',
          `patient ${p.human_id} was changed since you opened it (you edited version ${expected_version}, it is now version ${p.version}); reload it and apply your change again`,
        );
      }
      const updated: Patient = {
        ...profile,
        id: p.id,
        human_id: p.human_id,
        version: p.version + 1,
        created_at: p.created_at,
        updated_at: now(),
      };
      state.patients = state.patients.map((x) => (x.id === p.id ? updated : x));
      audit('patient.edit', 'patient', p.id);
      return structuredClone(updated);
    },
    async encounterAdd({ patient, encounter }) {
      calls.push('encounter_add');
      const checked = checkedVisit(encounter);
      const s = authorize('encounter.record');
      const p = findPatient(patient);
      const e: Encounter = {
        id: uuid(),
        patient_id: p.id,
        version: 1,
        recorded_by: s.username,
        created_at: now(),
        ...checked,
      };
      state.encounters.push(e);
      audit('encounter.record', 'encounter', e.id);
      return structuredClone(e);
    },
    async encounterAmend({ id, encounter, reason }) {
      calls.push('encounter_amend');
      // Like core: the reason, then the new content, then who may, then the visit.
      const why = reason.trim() || invalid('reason', 'is required');
      const checked = checkedVisit(encounter);
      const s = authorize('encounter.amend');
      const before = correctable(id);
      if (sameVisit(before, checked)) invalid('encounter', 'the amendment changes nothing');
      const at = now();
      state.encounterRevisions.push({
        encounter: structuredClone(before),
        replaced_at: at,
        replaced_by: s.username,
        reason: why,
      });
      const after: Encounter = {
        id: before.id,
        patient_id: before.patient_id,
        version: before.version + 1,
        recorded_by: before.recorded_by,
        created_at: before.created_at,
        ...checked,
      };
      state.encounters = state.encounters.map((x) => (x.id === id ? after : x));
      audit('encounter.amend', 'encounter', id, { reason: why });
      return structuredClone(after);
    },
    async encounterVoid({ id, reason }) {
      calls.push('encounter_void');
      const why = reason.trim() || invalid('reason', 'is required');
      const s = authorize('encounter.amend');
      const e = correctable(id);
      e.voided = { at: now(), by: s.username, reason: why };
      audit('encounter.void', 'encounter', id, { reason: why });
      return structuredClone(e);
    },
    async encounterHistory({ id }) {
      calls.push('encounter_history');
      authorize('encounter.view');
      findEncounter(id);
      const revisions = state.encounterRevisions
        .filter((r) => r.encounter.id === id)
        .sort((a, b) => a.encounter.version - b.encounter.version);
      audit('encounter.view', 'encounter', id, { revisions: revisions.length });
      return structuredClone(revisions);
    },
    async patientErase({ patient, mode, confirmation }) {
      calls.push('patient_erase');
      authorize('patient.erase');
      const p = findPatient(patient);
      // Like the shell: the human id typed again, checked before core is asked.
      if (parseHumanId(confirmation) !== p.human_id) {
        invalid('confirmation', `type the patient's id, ${p.human_id}, to confirm the erasure`);
      }
      authorize('patient.erase');
      return eraseIn(p, mode, 'request');
    },
    async patientSubjectExport({ patient, out, passphrase }) {
      calls.push('patient_subject_export');
      const path = fullPath('out', out.replace(/^~(?=\/|$)/, '/home/demo'));
      // Like the shell: an empty passphrase is none (a plain tar); core wants 12 characters.
      const key = passphrase || null;
      if (key && [...key].length < 12) invalid('passphrase', 'use at least 12 characters');
      authorize('patient.subject_export');
      const p = findPatient(patient);
      if (state.exports.has(path))
        fail('conflict', `${path} already exists; choose a new file name`);
      state.exports.set(path, key);
      const trail = trailOf(p.id);
      const photos = state.photos.filter((x) => x.photo.patient_id === p.id).length;
      audit('patient.subject_export', 'patient', p.id, { path, format: key ? 'tar.age' : 'tar' });
      return {
        path,
        sha256: 'ab'.repeat(32),
        bytes: 10_240 + photos * 200_000,
        patient_id: p.id,
        photos,
        audit_entries: state.audit.filter((r) => r.resource_id && trail.has(r.resource_id)).length,
      };
    },
    async consentList({ patient }) {
      calls.push('consent_list');
      authorize('consent.view');
      const p = findPatient(patient);
      const found = consentsOf(p.id);
      audit('consent.view', 'patient', p.id, { consents: found.length });
      return found;
    },
    async consentRecord({ patient, purpose: typed, status, notes }) {
      calls.push('consent_record');
      const purpose = typed.trim().toLowerCase() || invalid('purpose', 'is required');
      const s = authorize('consent.record');
      const p = currentPatient(patient);
      const inForce = consentsOf(p.id).find((c) => c.purpose === purpose && c.current);
      if (status === 'withdrawn' && inForce?.status !== 'granted') {
        fail('conflict', `there is no consent in force for ${JSON.stringify(purpose)} to withdraw`);
      }
      const consent: Consent = {
        id: uuid(),
        patient_id: p.id,
        purpose,
        status,
        recorded_by: s.username,
        recorded_at: now(),
        evidence_id: null,
        notes: notes?.trim() || null,
        current: true,
      };
      state.consents.push(consent);
      audit('consent.record', 'consent', consent.id, { purpose, status });
      return { ...consent };
    },
    async narrativeList({ patient }) {
      calls.push('narrative_list');
      authorize('narrative.view');
      const p = findPatient(patient);
      return state.narratives
        .filter((n) => n.patient_id === p.id && readable(n))
        .sort((a, b) => b.created_at.localeCompare(a.created_at))
        .map((n) => ({ ...n }));
    },
    async narrativeAdd({ patient, title = null, body, photo_id = null, private: isPrivate }) {
      calls.push('narrative_add');
      const s = authorize('narrative.write');
      const p = findPatient(patient);
      if (photo_id) {
        const photo =
          state.photos.find((x) => x.photo.id === photo_id)?.photo ??
          fail('not_found', `photo not found: ${photo_id}`);
        if (photo.patient_id !== p.id) {
          throw {
            code: 'invalid',
            message: 'photo: the photo belongs to another patient',
            field: 'photo',
          } satisfies ApiError;
        }
        if (photo.deleted_at) {
          throw {
            code: 'invalid',
            message: 'photo: the photo is in the bin',
            field: 'photo',
          } satisfies ApiError;
        }
      }
      const n: Narrative = {
        id: uuid(),
        patient_id: p.id,
        photo_id,
        author: s.username,
        author_type: s.role === 'social_worker' ? 'social_worker' : 'clinician',
        author_role: s.role,
        private: isPrivate,
        title,
        body,
        revision: 1,
        created_at: now(),
        updated_at: now(),
      };
      state.narratives.push(n);
      state.revisions.push({
        narrative_id: n.id,
        revision: 1,
        title,
        body,
        photo_id,
        edited_by: s.username,
        edited_at: n.created_at,
      });
      audit('narrative.write', 'narrative', n.id);
      return { ...n };
    },
    async narrativeEdit({ narrative_id, title = null, body, expected_revision }) {
      calls.push('narrative_edit');
      const s = authorize('narrative.write');
      const n = findNarrative(narrative_id);
      if (n.revision !== expected_revision) {
        fail('conflict', `narrative was edited since (revision ${n.revision})`);
      }
      n.revision += 1;
      n.title = title ?? n.title;
      n.body = body;
      n.updated_at = now();
      state.revisions.push({
        narrative_id,
        revision: n.revision,
        title: n.title,
        body,
        photo_id: n.photo_id,
        edited_by: s.username,
        edited_at: n.updated_at,
      });
      audit('narrative.write', 'narrative', n.id);
      return { ...n };
    },
    async narrativeHistory({ narrative_id }) {
      calls.push('narrative_history');
      authorize('narrative.view');
      findNarrative(narrative_id);
      return state.revisions.filter((r) => r.narrative_id === narrative_id);
    },
    async photoList({ patient, deleted }) {
      calls.push('photo_list');
      authorize('photo.view');
      const p = findPatient(patient);
      const found = state.photos
        .map((x) => x.photo)
        .filter((x) => x.patient_id === p.id && !!x.deleted_at === deleted && visible(x))
        .sort((a, b) => b.imported_at.localeCompare(a.imported_at) || b.id.localeCompare(a.id));
      audit('photo.view', 'patient', p.id, { photos_listed: found.map((x) => x.id) });
      return found.map((x) => ({ ...x }));
    },
    async photoImport({ patient, file_name, privacy, bytes }) {
      calls.push('photo_import');
      const s = authorize('photo.import');
      const p = findPatient(patient);
      if (p.deleted_at) fail('invalid', 'patient: the patient is in the bin');
      const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
      const refuse = (why: string): never => {
        throw { code: 'invalid', message: `photo: ${why}`, field: 'photo' } satisfies ApiError;
      };
      if (b.length === 0) refuse('the file is empty');
      const format =
        sniff(b) ??
        refuse('not a JPEG, PNG, WebP or HEIC image (judged by its content, not its name)');
      const print = fingerprint(b);
      const known = state.photos.find(
        (x) => x.photo.patient_id === p.id && x.fingerprint === print,
      );
      if (known) return { photo: { ...known.photo }, duplicate: true } satisfies Imported;
      const [width, height] = dimensions(b, format) ?? [1200, 900];
      const photo = newPhoto(p, {
        format,
        byte_size: b.length,
        width,
        height,
        source_name: file_name,
        privacy,
        imported_by: s.username,
      });
      state.photos.push({ photo, bytes: b.slice(), fingerprint: print });
      audit('photo.import', 'photo', photo.id);
      return { photo: { ...photo }, duplicate: false } satisfies Imported;
    },
    async photoEdit({ photo_id, caption, privacy }) {
      calls.push('photo_edit');
      const s = authorize('photo.edit');
      const p = findPhoto(photo_id).photo;
      if (privacy && privacy !== p.privacy && s.role !== 'admin' && p.imported_by !== s.username) {
        fail(
          'denied',
          `${s.role} may not change who may see a photo another staff member imported`,
        );
      }
      if (caption !== undefined && caption !== null) p.caption = caption.trim() || null;
      if (privacy) p.privacy = privacy;
      audit('photo.edit', 'photo', p.id);
      return { ...p };
    },
    async photoDelete({ photo_id }) {
      calls.push('photo_delete');
      return setDeleted(photo_id, true);
    },
    async photoRestore({ photo_id }) {
      calls.push('photo_restore');
      return setDeleted(photo_id, false);
    },
    // Imported bytes are shown as they are; photos added without bytes are drawn.
    // Through a grant (like the shell's `grant/<id>/media/<photo>/<variant>`): only while
    // the grant opens photos, only its patient's photos shared with staff, never the bin.
    photoUrl(photoId, variant, grantId) {
      const key = `${photoId}/${variant}`;
      const found = state.photos.find((x) => x.photo.id === photoId);
      if (grantId !== undefined) {
        const g = state.grants.find((x) => x.grant.id === grantId)?.grant;
        const opens =
          !!g &&
          !!found &&
          grantStatus(g) === 'active' &&
          g.permissions.includes('photos') &&
          variant !== 'original' &&
          found.photo.patient_id === g.patient_id &&
          found.photo.privacy === 'staff' &&
          !found.photo.deleted_at;
        if (!opens) return `data:,refused-grant-${grantId}-${key}`;
      }
      const known = urls.get(key);
      if (known) return known;
      if (!found) return `data:,missing-${key}`;
      const type = `image/${found.photo.format}`;
      const url =
        found.bytes && typeof URL.createObjectURL === 'function'
          ? URL.createObjectURL(new Blob([found.bytes.slice()], { type }))
          : drawn(found.photo, variant);
      urls.set(key, url);
      return url;
    },
    async staffList() {
      calls.push('staff_list');
      authorize('staff.list');
      return [...state.staff].sort((a, b) => a.username.localeCompare(b.username));
    },
    async staffAdd({ username, display_name, role, password }) {
      calls.push('staff_add');
      authorize('staff.add');
      const name = username.trim().toLowerCase();
      if (state.staff.some((a) => a.username === name)) {
        fail('conflict', `user name ${name} is taken`);
      }
      checkPassword(password, name);
      // The app's accounts: the first password is the admin's choice, replaced at first sign-in.
      const user: FakeUser = { username: name, password, role, display_name };
      state.users.push(user);
      const created = account({ ...user, must_change_password: true });
      state.staff.push(created);
      audit('staff.add', 'staff', created.id);
      return created;
    },
    async staffDisable({ username, reason }) {
      calls.push('staff_disable');
      authorize('staff.disable');
      const a = staffAccount(username);
      if (a.status !== 'active') fail('conflict', `${username} is already disabled`);
      a.status = 'disabled';
      a.disabled_at = now();
      state.users = state.users.filter((u) => u.username !== username);
      audit('staff.disable', 'staff', a.id, reason);
      return { ...a };
    },
    async staffEnable({ username }) {
      calls.push('staff_enable');
      authorize('staff.enable');
      const a = staffAccount(username);
      if (a.status === 'active') fail('conflict', `${username} is already active`);
      audit('staff.enable', 'staff', a.id);
      return handOver(a);
    },
    async staffReset({ username }) {
      calls.push('staff_reset');
      const s = authorize('staff.set_password');
      if (s.username === username) {
        invalid(
          'username',
          'to change your own password, use the password change instead of a reset',
        );
      }
      const a = staffAccount(username);
      if (a.status !== 'active') {
        fail('conflict', `${username} is disabled; enable the account with a new password instead`);
      }
      audit('staff.set_password', 'staff', a.id, { password: 'reset' });
      return handOver(a);
    },
    async credentialShow({ username }) {
      calls.push('credential_show');
      authorize('credential.view');
      const a = staffAccount(username.trim().toLowerCase());
      audit('credential.view', 'credentials', a.id);
      const found = state.credentials.find((c) => c.username === a.username);
      return found ? structuredClone(found) : null;
    },
    async credentialSet({ username, credentials, expected_version = null }) {
      calls.push('credential_set');
      const checked = checkedCredentials(credentials);
      const s = authorize('credential.manage');
      const a = staffAccount(username.trim().toLowerCase());
      if (a.role !== 'clinician') {
        invalid('account', `${a.username} is a ${a.role}; credentials are kept for clinicians`);
      }
      const before = state.credentials.find((c) => c.username === a.username);
      const current = before?.version ?? null;
      if (current !== expected_version) {
        fail(
          'conflict',
          `the credentials of ${a.username} were changed since you opened them (you edited version ${expected_version ?? 'none'}, they are now version ${current ?? 'none'}); reload and apply your change again`,
        );
      }
      const after: ProviderCredentials = {
        username: a.username,
        version: (current ?? 0) + 1,
        ...checked,
        updated_at: now(),
        updated_by: s.username,
      };
      state.credentials = [...state.credentials.filter((c) => c !== before), after];
      audit('credential.manage', 'credentials', a.id);
      return structuredClone(after);
    },
    async credentialExpiring({ days }) {
      calls.push('credential_expiring');
      authorize('credential.view');
      const today = Date.parse(todayUtc());
      const active = new Set(
        state.staff.filter((a) => a.status === 'active').map((a) => a.username),
      );
      const found = state.credentials
        .filter((c) => active.has(c.username))
        .flatMap((c) =>
          c.certifications.flatMap((cert) => {
            if (!cert.expires_on) return [];
            const days_left = Math.round((Date.parse(cert.expires_on) - today) / 86_400_000);
            return days_left <= days
              ? [
                  {
                    username: c.username,
                    certification: cert.name,
                    expires_on: cert.expires_on,
                    days_left,
                  },
                ]
              : [];
          }),
        )
        .sort((a, b) => a.days_left - b.days_left || a.username.localeCompare(b.username));
      audit('credential.view', 'credentials', null, {
        expiring_within_days: days,
        results: found.length,
      });
      return found;
    },
    async vaultRekey({ on_progress }) {
      calls.push('vault_rekey');
      authorize('vault.rekey');
      // Like core: it needs the vault to itself, and refuses before changing anything.
      if (state.vaultInUse) {
        fail(
          'conflict',
          'the vault is in use by another session: close the app (or wait for the other command) and try again',
        );
      }
      // Active accounts keep their sign-in; each photo is three files (original, preview, thumb).
      const accounts = state.staff.filter((a) => a.status === 'active').length;
      const photo_files = state.photos.length * 3;
      audit('vault.rekey_started', 'vault', null, { accounts, photo_files });
      const total = 6_000_000 + photo_files * 250_000;
      for (let step = 1; step <= 4; step++) {
        // `backend` becomes the FakeBackend below: a test may have replaced its step.
        await (backend as FakeBackend).rekeyStep();
        on_progress({ done_bytes: Math.round((total * step) / 4), total_bytes: total });
      }
      state.recoveryKey = freshRecoveryKey();
      audit('vault.rekeyed', 'vault', null, { accounts, photo_files });
      return { accounts, photo_files, recovery_key: state.recoveryKey };
    },
    async auditList({ filter }) {
      calls.push('audit_list');
      authorize('audit.list');
      // Like core: a patient filter covers the patient and their visits and narratives.
      const trail = filter.patient
        ? ((id) =>
            new Set([
              id,
              ...state.encounters.filter((e) => e.patient_id === id).map((e) => e.id),
              ...state.narratives.filter((n) => n.patient_id === id).map((n) => n.id),
              ...state.photos.filter((x) => x.photo.patient_id === id).map((x) => x.photo.id),
            ]))(findPatient(filter.patient).id)
        : null;
      const rows = state.audit.filter(
        (r) =>
          (!filter.actor || r.actor === filter.actor.toLowerCase()) &&
          (!filter.action ||
            r.action === filter.action ||
            r.action.startsWith(`${filter.action}.`)) &&
          (!filter.resource_id || r.resource_id === filter.resource_id) &&
          (!trail || (r.resource_id !== null && trail.has(r.resource_id))) &&
          (!filter.since || r.at >= filter.since) &&
          (!filter.until || r.at < filter.until),
      );
      return filter.limit ? rows.slice(-filter.limit) : rows;
    },
    async auditVerify() {
      calls.push('audit_verify');
      authorize('audit.verify');
      const entries = state.audit.length;
      audit('audit.verify', 'audit_log', null);
      return {
        ok: true,
        entries,
        anchored: entries,
        unanchored: 0,
        removed: 0,
        redacted: 0,
        legacy: 0,
        problem: null,
      };
    },
    async backupStatus() {
      calls.push('backup_status');
      authorize('backup.list');
      const lastOk = state.backups.find((r) => r.status === 'ok') ?? null;
      const age = lastOk ? Date.now() - Date.parse(lastOk.started_at) : null;
      return {
        last_ok: lastOk ? { ...lastOk } : null,
        last_attempt: state.backups[0] ? { ...state.backups[0] } : null,
        overdue: age === null || age > state.schedule.warn_after_hours * 3_600_000,
        warn_after_hours: state.schedule.warn_after_hours,
        schedule_enabled: state.schedule.enabled,
      } satisfies BackupStatus;
    },
    async backupList() {
      calls.push('backup_list');
      authorize('backup.list');
      return state.backups.map((r) => ({ ...r }));
    },
    async backupScheduleGet() {
      calls.push('backup_schedule_get');
      authorize('backup.list');
      return structuredClone(state.schedule);
    },
    async backupScheduleSet(args) {
      calls.push('backup_schedule_set');
      authorize('backup.manage');
      const { schedule } = args;
      const cleaned: BackupSchedule = {
        enabled: schedule.enabled,
        interval_hours: schedule.interval_hours,
        destinations: schedule.destinations.map((d) => d.trim()).filter(Boolean),
        keep_last: schedule.keep_last,
        keep_days: schedule.keep_days,
        warn_after_hours: schedule.warn_after_hours,
        recipient: schedule.recipient?.trim() || null,
      };
      scheduleProblem(cleaned);
      state.schedule = cleaned;
      audit('backup.manage', 'backup_schedule', null);
      return structuredClone(state.schedule);
    },
    async backupCreate({ destination, passphrase, recipient, full, on_progress }) {
      calls.push('backup_create');
      const s = authorize('backup.create');
      const dest = fullPath('destination', destination);
      const key = passphrase || null;
      const to = recipient?.trim() || null;
      if (key && to) invalid('passphrase', 'give a passphrase or an age public key, not both');
      if (!key && !to) invalid('passphrase', 'give a passphrase or an age public key');
      if (key && [...key].length < 12) invalid('passphrase', 'use at least 12 characters');
      if (to && !/^age1[0-9a-z]{20,}$/.test(to)) {
        invalid('recipient', `"${to}" is not an age public key (age1…)`);
      }
      state.backupCancelled = false;
      return writeBackup('backup.create', s.username, dest, key, to, full, on_progress);
    },
    async backupRunNow({ on_progress }) {
      calls.push('backup_run_now');
      const s = authorize('backup.run');
      const schedule = structuredClone(state.schedule);
      runnableProblem(schedule);
      state.backupCancelled = false;
      const runs: ScheduledRun[] = [];
      for (const destination of schedule.destinations) {
        try {
          const backup = await writeBackup(
            'backup.run',
            s.username,
            destination,
            null,
            schedule.recipient,
            false,
            on_progress,
          );
          const { removed } = pruneFolder(
            destination,
            schedule.keep_last,
            schedule.keep_days,
            false,
          );
          runs.push({ destination, backup, error: null, pruned: removed.length });
        } catch (e) {
          // Like core: a cancel stops the whole run; any other failure is that folder's.
          const error = e as ApiError;
          if (error.code === 'cancelled') throw error;
          runs.push({ destination, backup: null, error: error.message, pruned: 0 });
        }
      }
      return runs;
    },
    async backupCancel() {
      calls.push('backup_cancel');
      state.backupCancelled = true;
      return null;
    },
    async backupVerify({ file, passphrase, identity_file, password }) {
      calls.push('backup_verify');
      authorize('backup.list');
      const { report, record } = openBackup(
        file,
        passphrase,
        identity_file,
        session().username,
        password,
      );
      if (record) record.verified_at = now();
      audit('backup.verify', 'backup', report.backup_id);
      return report;
    },
    async backupRestore(args) {
      const { file, passphrase, identity_file, username, password, dry_run } = args;
      calls.push('backup_restore');
      // Like the shell: signed in, as the signed-in user; signed out (a vault too damaged to
      // open), as `username`; with neither, `session()` refuses.
      const actor = state.session?.username || username?.trim().toLowerCase() || session().username;
      const { report, user } = openBackup(file, passphrase, identity_file, actor, password);
      permit(user.role, 'backup.restore');
      // Like core: a damaged vault cannot be read, so nothing is compared with the backup,
      // and who was erased since the backup is unknown.
      const current = state.vaultDamaged ? null : rowCounts();
      const erasedSince = new Set(
        state.audit
          .slice(report.audit_head.count)
          .filter((r) => r.action === 'patient.erase')
          .map((r) => r.resource_id),
      ).size;
      const erasures = current ? (state.erasuresSinceBackup ?? erasedSince) : null;
      // Like core: restoring over an unreadable vault without erasing those patients again
      // needs a reason (recorded in the audit log), asked only for the real restore, which
      // the shell begins by signing out.
      if (!dry_run && erasures === null && !args.override_reason?.trim()) {
        state.session = null;
        invalid(
          'override_reason',
          'the vault at /home/demo/.local/share/tessera cannot be read, so patients erased since this backup was made cannot be erased again after the restore; to restore anyway, give a reason (it is recorded), then erase those patients again by hand',
        );
      }
      const tables = Object.keys({ ...current, ...report.row_counts }).sort();
      const result: BackupRestoreReport = {
        backup: report,
        target: '/home/demo/.local/share/tessera',
        dry_run,
        replaces_vault: true,
        differences: current
          ? tables
              .map((table) => ({
                table,
                in_backup: report.row_counts[table] ?? 0,
                current: current[table] ?? 0,
              }))
              .filter((d) => d.in_backup !== d.current)
          : [],
        current_audit_entries: current ? state.audit.length : null,
        previous_vault: null,
        erasures_reapplied: erasures ?? 0,
        erasures_unknown: erasures === null,
      };
      if (dry_run) return result;
      // Like the shell: a real restore signs out first; the restored vault is sound.
      state.session = null;
      state.vaultDamaged = false;
      return {
        ...result,
        previous_vault: `/home/demo/.local/share/tessera.previous-${stamp(now())}`,
      };
    },
    async backupPrune({ destination, keep_last, keep_days, dry_run }) {
      calls.push('backup_prune');
      authorize('backup.manage');
      const dest = fullPath('destination', destination);
      if (keep_last < 1) invalid('keep-last', 'must keep at least one backup');
      return pruneFolder(dest, keep_last, keep_days, dry_run);
    },
    async retentionGet() {
      calls.push('retention_get');
      authorize('retention.manage');
      return structuredClone(state.retention);
    },
    async retentionSet({ policy }) {
      calls.push('retention_set');
      authorize('retention.manage');
      for (const [field, r, anonymise] of [
        ['inactive patients', policy.inactive_patients, true],
        ['photos', policy.photos, false],
        ['narratives', policy.narratives, false],
        ['encounters', policy.encounters, true],
      ] as const) {
        if (!r) continue;
        if (r.years < 1 || r.years > 200) invalid(field, 'must be between 1 and 200 years');
        if (r.action === 'anonymise' && !anonymise) {
          invalid(
            field,
            'can only be deleted: there is nothing to keep once the person is removed',
          );
        }
      }
      const years = policy.audit_entries_years;
      if (years !== null && (years < 6 || years > 200)) {
        invalid(
          'audit entries',
          'must be kept at least 6 years (the legal minimum) and at most 200',
        );
      }
      const days = policy.binned_days;
      if (days !== null && (days < 30 || days > 36_500)) {
        invalid('binned items', 'must stay in the bin at least 30 days (the restore window)');
      }
      audit('retention.set', 'retention_policy', null, { ...policy });
      state.retention = structuredClone(policy);
      return structuredClone(policy);
    },
    async retentionRun({ dry_run }) {
      calls.push('retention_run');
      authorize('retention.manage');
      const at = Date.now();
      const rules = retentionPlan(state.retention, at);
      const photo_files_deleted = dry_run ? 0 : retentionApply(rules);
      audit('retention.run', 'retention_policy', null, {
        dry_run,
        rules: Object.fromEntries(rules.map((r) => [r.rule, r.count])),
      });
      return { dry_run, as_of: new Date(at).toISOString(), rules, photo_files_deleted };
    },
    async accessGrant({ patient, permissions, hours }) {
      calls.push('access_grant');
      const s = authorize('access.grant');
      const p = findPatient(patient);
      if (!Number.isInteger(hours) || hours < 1 || hours > 720) {
        invalid('hours', 'a grant runs from 1 hour to 720 hours (30 days)');
      }
      const sections = [...new Set(permissions)];
      if (sections.length === 0) invalid('permissions', 'choose at least one section to share');
      const created = Date.now();
      const id = uuid();
      const x: FakeGrant = {
        grant: {
          id,
          patient_id: p.id,
          human_id: p.human_id,
          permissions: sections,
          created_at: new Date(created).toISOString(),
          created_by: s.username,
          expires_at: new Date(created + hours * 3_600_000).toISOString(),
          uses: 0,
          last_used_at: null,
          revoked_at: null,
          revoked_by: null,
          status: 'active',
        },
        code: newCode(),
        token: `${TOKEN_TAG}${id.slice(-12).toUpperCase()}%${p.human_id}`,
      };
      state.grants.push(x);
      audit('access.grant', 'access_grant', id, { permissions: sections, hours });
      return { grant: grantCopy(x), code: x.code, card: cardOf(x) };
    },
    async accessList({ patient }) {
      calls.push('access_list');
      authorize('access.list');
      const p = findPatient(patient);
      audit('access.list', 'patient', p.id);
      return state.grants
        .filter((x) => x.grant.patient_id === p.id)
        .reverse()
        .map(grantCopy);
    },
    async accessRevoke({ grant_id }) {
      calls.push('access_revoke');
      const s = authorize('access.revoke');
      const x = findGrant(grant_id);
      if (x.grant.revoked_at) fail('conflict', `access grant ${grant_id} was already revoked`);
      x.grant.revoked_at = now();
      x.grant.revoked_by = s.username;
      audit('access.revoke', 'access_grant', x.grant.id);
      return grantCopy(x);
    },
    async accessCard({ grant_id }) {
      calls.push('access_card');
      authorize('access.grant');
      const x = findGrant(grant_id);
      const status = grantStatus(x.grant);
      if (status !== 'active') {
        fail('conflict', `access grant ${grant_id} is ${status}: its card would not open anything`);
      }
      audit('access.grant', 'access_grant', x.grant.id, { reprinted: true });
      return cardOf(x);
    },
    async accessOpenCode({ code, patient = null }) {
      calls.push('access_open_code');
      authorize('access.use');
      const hinted = patient ? findPatient(patient) : null;
      const at = Date.now();
      const failures = state.codeFailures;
      if (at - failures.last > 3_600_000) failures.count = 0;
      const wait = Math.ceil((failures.last + 30_000 - at) / 1000);
      if (failures.count >= 5 && wait > 0) {
        noteUse(null, 'code', 'too_many_attempts');
        refuse(
          'too_many_attempts',
          `too many wrong access codes: wait ${wait} s before trying again`,
          wait,
        );
      }
      const digits = code.replace(/[\s-]/g, '');
      if (!/^\d{6}$/.test(digits)) {
        noteUse(null, 'code', 'malformed');
        refuse('malformed', 'not a valid Tessera access code: a code has 6 digits');
      }
      // An active grant wins over an expired or revoked one with the same code.
      const found = state.grants
        .filter((x) => x.code === digits && (!hinted || x.grant.patient_id === hinted.id))
        .sort(
          (a, b) =>
            Number(grantStatus(b.grant) === 'active') - Number(grantStatus(a.grant) === 'active'),
        )[0];
      if (!found || grantStatus(found.grant) !== 'active') {
        failures.count += 1;
        failures.last = at;
      }
      if (!found) {
        noteUse(null, 'code', 'wrong_code');
        refuse('wrong_code', 'no active access grant has this code');
      }
      return sharedView(live(found, 'code'), 'code');
    },
    async accessOpenToken({ token }) {
      calls.push('access_open_token');
      authorize('access.use');
      const text = token.trim();
      if (!text.startsWith('TS1:')) {
        noteUse(null, 'qr', 'malformed');
        refuse('malformed', 'not a valid Tessera access code: it does not start with TS1:');
      }
      const found = state.grants.find((x) => x.token === text);
      if (!found) {
        // Ours but not as signed (altered), or signed by another vault's key.
        if (text.startsWith(TOKEN_TAG)) {
          noteUse(null, 'qr', 'bad_signature');
          refuse('bad_signature', 'the signature does not match: the code was altered or damaged');
        }
        noteUse(null, 'qr', 'unknown_key');
        refuse(
          'unknown_key',
          "signed by another vault's key (k-0000), not this vault's: it cannot open a record here",
        );
      }
      return sharedView(live(found, 'qr'), 'qr');
    },
    // Like the shell: scanning needs a session and nothing more (what a QR opens is for
    // accessOpenToken to decide); stopping needs nothing.
    async cameraList() {
      calls.push('camera_list');
      session();
      return state.cameras.map((c) => ({ ...c }));
    },
    async scanStart({ camera, on_event }) {
      calls.push('scan_start');
      session();
      endScan(null);
      let frames = 0;
      const step = () => {
        if (scan !== current) return;
        // A lock ends the scan; an unknown camera fails it, in words.
        if (!state.session) return endScan(null);
        if (!state.cameras.some((c) => c.id === camera)) {
          return endScan('No camera was found. You can open an image or type the code instead.');
        }
        frames += 1;
        on_event(fakePreview(frames));
        if (frames >= 2 && state.scanFailure !== null) return endScan(state.scanFailure);
        if (frames >= 2 && state.scanText !== null) {
          on_event({ kind: 'found', text: state.scanText });
          return endScan(null);
        }
        current.timer = setTimeout(step, frames < 2 ? 0 : 20);
      };
      const current = { on_event, timer: setTimeout(step, 0) };
      scan = current;
      state.scanning = camera;
      return null;
    },
    async scanStop() {
      calls.push('scan_stop');
      endScan(null);
      return null;
    },
    async accessScanImage(bytes) {
      calls.push('access_scan_image');
      session();
      if (bytes.byteLength === 0) invalid('image', 'the image is empty');
      return [...state.imageTexts];
    },
    async exportWrite(args) {
      calls.push('export_write');
      const s = session();
      const { patient, kind, format, referral = null, csv_bom, on_progress } = args;
      const path = exportPath('out', args.out);
      const key = args.passphrase || null;
      const to = args.recipient?.trim() || null;
      // Like the shell: a plain file only by an explicit choice.
      if (!key && !to && !args.unencrypted) {
        invalid(
          'passphrase',
          'give a passphrase or an age public key, or choose to write the file unencrypted',
        );
      }
      if (key && to) invalid('passphrase', 'give a passphrase or an age public key, not both');
      if (key && [...key].length < 12) invalid('passphrase', 'use at least 12 characters');
      if (to && !/^age1[0-9a-z]{20,}$/.test(to)) {
        invalid('recipient', `"${to}" is not an age public key (age1…)`);
      }
      if (kind === 'subject_access') {
        invalid('kind', 'a subject access export is written by the subject access command');
      }
      const from = exportDay('from', args.from);
      const until = exportDay('to', args.to);
      if (from && until && from > until) invalid('to', 'the range ends before it begins');
      if (kind === 'referral') {
        if (!referral) return invalid('to', 'a referral needs an addressee and a purpose');
        if (!referral.to.trim()) invalid('to', 'say whom the referral is addressed to');
        if (!referral.purpose.trim()) invalid('purpose', 'say why the patient is referred');
      }
      const action = exportAction(kind, s.role);
      authorize(action);
      const p = findPatient(patient);
      if (state.exportFiles.has(path) || state.exports.has(path)) {
        fail('conflict', `${path} already exists; choose a new file name`);
      }
      state.exportCancelled = false;
      for (const stage of ['reading', 'formatting', 'writing'] as const) {
        on_progress(stage);
        // `backend` becomes the FakeBackend below: a test may have replaced its step.
        await (backend as FakeBackend).exportStep();
        if (state.exportCancelled) fail('cancelled', 'cancelled');
      }
      const id = uuid();
      const visits = state.encounters.filter((e) => e.patient_id === p.id).length;
      const base = format === 'pdf' ? 48_000 : format === 'json' ? 6_000 : 4_000;
      const entry: ExportEntry = {
        id,
        patient_id: p.id,
        human_id: p.human_id,
        kind,
        format,
        range: { from, to: until },
        encrypted: !!(key || to),
        sha256: fakeSha256(`${id}:${path}`),
        content_sha256: format === 'pdf' ? fakeSha256(`content:${id}`) : null,
        bytes: base + visits * 900 + (key || to ? 200 : 0) + (csv_bom && format === 'csv' ? 3 : 0),
        created_at: now(),
        created_by: s.username,
      };
      state.exportLog.unshift(entry);
      state.exportFiles.set(path, id);
      audit(action, 'patient', p.id, {
        export_id: id,
        kind,
        format,
        range: { from, to: until },
        encrypted: entry.encrypted,
        sha256: entry.sha256,
        bytes: entry.bytes,
      });
      return structuredClone(entry);
    },
    async exportCancel() {
      calls.push('export_cancel');
      state.exportCancelled = true;
      return null;
    },
    async exportList({ patient = null }) {
      calls.push('export_list');
      authorize('export.list');
      const id = patient ? findPatient(patient).id : null;
      return state.exportLog
        .filter((e) => id === null || e.patient_id === id)
        .map((e) => structuredClone(e));
    },
    async exportVerify({ path: typed }) {
      calls.push('export_verify');
      session();
      const path = exportPath('path', typed);
      return checked(() => {
        if (path.toLowerCase().includes('forged')) {
          notGenuine('its content was changed after it was exported');
        }
        const known = state.exportFiles.get(path);
        if (known !== undefined) {
          const entry = state.exportLog.find((e) => e.id === known);
          if (!entry) {
            notGenuine(
              "no export in this vault's log has exactly this content: it was changed, or it was not exported from this vault",
            );
          }
          return verification(entry, entry.format === 'pdf' ? 'document' : 'file');
        }
        if (/\.(png|jpe?g)$/i.test(path)) {
          const sealed = state.exportLog.find((e) => e.format === 'pdf');
          if (!sealed) {
            notGenuine(
              "no Tessera seal could be read in this image; photograph the code in the page's corner, flat and in focus",
            );
          }
          return verification(sealed, 'seal');
        }
        return invalid('path', `cannot read ${path}: entity not found`);
      });
    },
    async exportVerifySeal({ token }) {
      calls.push('export_verify_seal');
      session();
      return checked(() => {
        const text = token.trim();
        if (text.startsWith(SEAL_TAG)) {
          const entry = state.exportLog.find((e) => sealOf(e.id) === text);
          if (!entry) notGenuine("its seal's signature does not match: the seal was altered");
          return verification(entry, 'seal');
        }
        if (text.startsWith(TOKEN_TAG)) {
          notGenuine('this is the QR code of an access card, not the seal of an exported page');
        }
        if (text.startsWith('TS1:')) {
          notGenuine("its seal is signed by another vault's key (k-0000), not this vault's");
        }
        return notGenuine('this is not a Tessera seal');
      });
    },
    // Like the shell: the language works without a session, the delay needs an admin.
    async settingsGet() {
      calls.push('settings_get');
      return { ...state.settings };
    },
    async settingsSet({ settings }) {
      calls.push('settings_set');
      if (settings.keep_photo_location !== state.settings.keep_photo_location) {
        authorize('settings.manage');
      }
      if (settings.auto_lock_minutes !== state.settings.auto_lock_minutes) {
        authorize('settings.manage');
        if (settings.auto_lock_minutes < 1 || settings.auto_lock_minutes > 60) {
          fail('invalid', 'auto-lock: must be between 1 and 60 minutes');
        }
      }
      state.settings = { ...settings };
      return { ...state.settings };
    },
    // Like the shell: the system's chooser, over the window, whoever is signed in.
    async folderChoose() {
      calls.push('folder_choose');
      return state.chosenFolder;
    },
    ...transferCommands({
      state: state.transfer,
      calls,
      authorize,
      signedIn: () => void session(),
      fullPath,
      invalid,
      fail,
      audit: (action, type, id) => audit(action, type, id),
      patient: (id) => state.patients.find((p) => p.id === id),
      // `backend` becomes the FakeBackend below: a test may have replaced its step.
      step: () => (backend as FakeBackend).transferStep(),
      now,
    }),
    async onSessionLocked(handler) {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
    async onScheduledBackup(handler) {
      scheduledListeners.add(handler);
      return () => scheduledListeners.delete(handler);
    },
  };

  return Object.assign(backend, {
    backupStep: (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    exportStep: (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    rekeyStep: (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    transferStep: (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0)),
    sealFor: sealOf,
    calls,
    state,
    addPhoto(patient: string, fields: Partial<Photo> = {}) {
      const photo = newPhoto(findPatient(patient), fields);
      state.photos.push({ photo, bytes: null, fingerprint: photo.id });
      return { ...photo };
    },
    emitLocked(reason: SessionLocked['reason']) {
      state.session = null;
      for (const l of listeners) l({ reason });
    },
    emitScheduled(event: ScheduledBackupEvent) {
      for (const l of scheduledListeners) l(event);
    },
  });
}
