/**
 * Exports of a patient's record and checking a document that comes back: the kinds and
 * formats offered, the file name suggested, the form's checks, the stages and results in
 * words. Pure: the Export dialog, the Exports log and the Verify screen use them.
 */
import type {
  ApiError,
  DateRange,
  ExportFormat,
  ExportKind,
  ExportStage,
  Language,
} from './bindings';
import {
  inFolder,
  MIN_PASSPHRASE,
  passphraseProblem,
  pathProblem,
  recipientProblem,
} from './backups';
import { formatCalendarDate, isCalendarDate } from './format';
import type { MessageKey, Params } from './i18n';

/** The kinds the Export dialog offers (the subject access archive has its own dialog). */
export const EXPORT_KINDS: readonly ExportKind[] = ['summary', 'full', 'referral'];

/** The formats, in the order they are offered. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['pdf', 'json', 'csv'];

/**
 * The kinds a role may choose: a referral letter needs `export.record` (front desk exports
 * a summary or the full record, and either holds identity and emergency information only).
 */
export function kindsFor(mayRecord: boolean): ExportKind[] {
  return EXPORT_KINDS.filter((kind) => mayRecord || kind !== 'referral');
}

/** The file's extension: CSV tables come in a zip file. */
export function extensionOf(format: ExportFormat): string {
  return format === 'csv' ? 'zip' : format;
}

/**
 * The path offered: `<folder>/<human id>-<kind>.<pdf|json|zip>`, plus `.age` when encrypted,
 * in the home directory until a folder is chosen.
 */
export function suggestedPath(
  humanId: string,
  kind: ExportKind,
  format: ExportFormat,
  encrypted: boolean,
  folder = '~',
): string {
  return inFolder(folder, `${humanId}-${kind}.${extensionOf(format)}${encrypted ? '.age' : ''}`);
}

/** An export's stages, in order, for a progress bar. */
export const STAGES: readonly ExportStage[] = ['reading', 'formatting', 'writing'];

/** What an export is doing, in words ("Writing and encrypting the file…"). */
export function stageLabel(stage: ExportStage, encrypted = false): MessageKey {
  if (stage === 'reading') return 'exports.stage.reading';
  if (stage === 'formatting') return 'exports.stage.formatting';
  return encrypted ? 'exports.stage.writingEncrypted' : 'exports.stage.writing';
}

const KIND_LABELS: Record<ExportKind, MessageKey> = {
  summary: 'exports.kind.summary',
  full: 'exports.kind.full',
  referral: 'exports.kind.referral',
  subject_access: 'exports.kind.subject_access',
};

/** A kind's name (the log and a verification name kinds as text): null for one unknown. */
export function kindLabel(kind: string): MessageKey | null {
  return KIND_LABELS[kind as ExportKind] ?? null;
}

const KIND_HINTS: Partial<Record<ExportKind, MessageKey>> = {
  summary: 'exports.kind.summaryHint',
  full: 'exports.kind.fullHint',
  referral: 'exports.kind.referralHint',
};

/** What a kind holds, in words (for roles that read the clinical record). */
export function kindHint(kind: ExportKind): MessageKey | null {
  return KIND_HINTS[kind] ?? null;
}

const FORMAT_LABELS: Record<ExportFormat, MessageKey> = {
  pdf: 'exports.format.pdf',
  json: 'exports.format.json',
  csv: 'exports.format.csv',
};

export function formatLabel(format: string): MessageKey | null {
  return FORMAT_LABELS[format as ExportFormat] ?? null;
}

const FORMAT_HINTS: Record<ExportFormat, MessageKey> = {
  pdf: 'exports.format.pdfHint',
  json: 'exports.format.jsonHint',
  csv: 'exports.format.csvHint',
};

/** What a format is for, in words. */
export function formatHint(format: ExportFormat): MessageKey {
  return FORMAT_HINTS[format];
}

/** The first 16 hex digits of a SHA-256, as the log shows it (the full value on demand). */
export function shortSha(sha256: string): string {
  return sha256.length > 16 ? `${sha256.slice(0, 16)}…` : sha256;
}

/** The dates an export was limited to, in words ("9 Mar 2026 to 31 Mar 2026"); null: none. */
export function rangeLabel(
  range: DateRange,
  lang: Language,
): { key: MessageKey; params: Params } | null {
  const from = range.from ? formatCalendarDate(range.from, lang) : null;
  const to = range.to ? formatCalendarDate(range.to, lang) : null;
  if (from && to) return { key: 'exports.range.both', params: { from, to } };
  if (from) return { key: 'exports.range.from', params: { from } };
  if (to) return { key: 'exports.range.to', params: { to } };
  return null;
}

/** How the file is protected: not at all (only by an explicit choice), or as `age` does it. */
export type ExportEncryption = 'none' | 'passphrase' | 'recipient';

/** The Export dialog's form, as typed. */
export type ExportForm = {
  kind: ExportKind;
  format: ExportFormat;
  from: string;
  to: string;
  referralTo: string;
  purpose: string;
  csvBom: boolean;
  encryption: ExportEncryption;
  passphrase: string;
  repeat: string;
  recipient: string;
  /** Writing a plain file was chosen explicitly. */
  unencrypted: boolean;
  path: string;
};

/** A field of the form where a problem is told. */
export type ExportField =
  | 'path'
  | 'from'
  | 'to'
  | 'referralTo'
  | 'purpose'
  | 'passphrase'
  | 'repeat'
  | 'recipient'
  | 'unencrypted';

export type ExportProblems = Partial<Record<ExportField, { key: MessageKey; params?: Params }>>;

/** What is wrong with the form before anything is sent, field by field (empty: nothing). */
export function exportProblems(form: ExportForm): ExportProblems {
  const problems: ExportProblems = {};
  const path = pathProblem(form.path);
  if (path) problems.path = { key: path };
  const from = form.from.trim();
  const to = form.to.trim();
  if (from && !isCalendarDate(from)) problems.from = { key: 'exports.error.date' };
  if (to && !isCalendarDate(to)) problems.to = { key: 'exports.error.date' };
  if (from && to && !problems.from && !problems.to && from > to) {
    problems.to = { key: 'exports.error.rangeOrder' };
  }
  if (form.kind === 'referral') {
    if (!form.referralTo.trim()) problems.referralTo = { key: 'exports.error.referralTo' };
    if (!form.purpose.trim()) problems.purpose = { key: 'exports.error.purpose' };
  }
  if (form.encryption === 'passphrase') {
    const problem = passphraseProblem(form.passphrase, form.repeat);
    if (problem === 'backups.error.passphraseMismatch') problems.repeat = { key: problem };
    else if (problem) problems.passphrase = { key: problem, params: { min: MIN_PASSPHRASE } };
  } else if (form.encryption === 'recipient') {
    const problem = recipientProblem(form.recipient);
    if (problem) problems.recipient = { key: problem };
  } else if (!form.unencrypted) {
    problems.unencrypted = { key: 'exports.error.chooseEncryption' };
  }
  return problems;
}

/** The arguments of `exportWrite` from a checked form (the callback is added by the caller). */
export function exportArgs(patient: string, form: ExportForm) {
  const referral =
    form.kind === 'referral' ? { to: form.referralTo.trim(), purpose: form.purpose.trim() } : null;
  return {
    patient,
    kind: form.kind,
    format: form.format,
    out: form.path.trim(),
    from: form.from.trim() || null,
    to: form.to.trim() || null,
    referral,
    csv_bom: form.format === 'csv' && form.csvBom,
    passphrase: form.encryption === 'passphrase' ? form.passphrase : null,
    recipient: form.encryption === 'recipient' ? form.recipient.trim() : null,
    unencrypted: form.encryption === 'none' && form.unencrypted,
  };
}

/**
 * Which field on show a refusal of `exportWrite` belongs to, if any: a bad path or a file
 * that already exists goes to the path, a bad date, passphrase or key to its field, and "give
 * a passphrase …" without encryption to the choice of a plain file. The shell names both the
 * range's end and the referral's addressee `to`: a date is the range's.
 */
export function refusedField(
  error: ApiError,
  kind: ExportKind,
  encryption: ExportEncryption,
): ExportField | null {
  if (error.code === 'conflict') return 'path';
  if (error.code !== 'invalid') return null;
  const referral = kind === 'referral';
  switch (error.field) {
    case 'out':
      return 'path';
    case 'from':
      return 'from';
    case 'to':
      return referral && !/\b(date|range)\b/i.test(error.message) ? 'referralTo' : 'to';
    case 'purpose':
      return referral ? 'purpose' : null;
    case 'passphrase':
    case 'recipient':
      return encryption === 'none' ? 'unencrypted' : encryption;
    default:
      return null;
  }
}

/** A refusal's message without the `field: ` the shell puts before it (shown at the field). */
export function withoutField(error: ApiError): string {
  const field = error.field;
  const message = error.message;
  if (field && message.startsWith(`${field}: `)) return message.slice(field.length + 2);
  return message;
}

/** How a genuine document or file was checked, in words. */
export function genuineMessage(method: string): MessageKey {
  if (method === 'seal') return 'verify.genuine.seal';
  if (method === 'file') return 'verify.genuine.file';
  return 'verify.genuine.document';
}

/**
 * Why a document is not genuine, from the shell's refusal ("not genuine: its content was
 * changed after it was exported"): the heading already says "Not genuine", so the reason
 * is told from its first word on, whole.
 */
export function notGenuineReason(message: string): string {
  const reason = message.replace(/^\s*not genuine\s*:\s*/i, '').trim();
  if (!reason) return message.trim();
  return reason.charAt(0).toUpperCase() + reason.slice(1);
}
