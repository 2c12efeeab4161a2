/**
 * The chart's recorded visits once they may be corrected or voided: who is offered the
 * actions, the voided mark and the earlier versions in words, and the refusals of
 * `encounter_amend` and `encounter_void` in words. The backend's own text is never the
 * message; where it may help support, it is offered under "Details".
 */
import type { Action, ApiError, Encounter, EncounterRevision, Language, Voided } from './bindings';
import { formatDateTime } from './format';
import { translate, type MessageKey, type Params } from './i18n';

/**
 * Whether "Correct…" and "Void…" are offered on `encounter`: to those the session allows
 * `encounter.amend`, on a visit not voided, of a patient not in the bin (core refuses both).
 */
export function mayCorrect(
  encounter: Pick<Encounter, 'voided'>,
  patient: { deleted_at?: string | null },
  may: (action: Action) => boolean,
): boolean {
  return may('encounter.amend') && !encounter.voided && !patient.deleted_at;
}

/** "Voided by rui on 3 Mar 2026, 14:05: entered on the wrong patient." */
export function voidedWords(voided: Voided, lang: Language): string {
  const date = formatDateTime(voided.at, lang);
  // An anonymised visit keeps that it was voided, and when, but not who or why.
  if (!voided.by.trim() || !voided.reason.trim()) {
    return translate(lang, 'visits.voidedAnonymised', { date });
  }
  return translate(lang, 'visits.voided', { user: voided.by, date, reason: voided.reason });
}

/** "Version 1, replaced by rui on 3 Mar 2026, 14:05: wrong blood pressure." */
export function revisionWords(revision: EncounterRevision, lang: Language): string {
  return translate(lang, 'visits.revision', {
    version: revision.encounter.version,
    user: revision.replaced_by,
    date: formatDateTime(revision.replaced_at, lang),
    reason: revision.reason,
  });
}

/** The earlier versions as listed: the newest first. */
export function newestVersionsFirst(revisions: readonly EncounterRevision[]): EncounterRevision[] {
  return [...revisions].sort((a, b) => b.encounter.version - a.encounter.version);
}

/**
 * The chart's visits after `changed` replaced its earlier self (a correction may move its
 * date): newest first, as the chart lists them.
 */
export function replaceVisit(encounters: readonly Encounter[], changed: Encounter): Encounter[] {
  const at = (e: Encounter) => Date.parse(e.occurred_at);
  return encounters
    .map((e) => (e.id === changed.id ? changed : e))
    .sort((a, b) => at(b) - at(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export type VisitChange = 'amend' | 'void';

export type VisitErrorWords = {
  /** The alert's heading. */
  title: MessageKey;
  /** What happened and what to do. */
  text: MessageKey;
  params?: Params;
  /** Whether the backend's own text is offered under "Details" (for support). */
  details: boolean;
  /** The form's field the refusal belongs to: the reason typed. */
  field?: 'why';
};

/**
 * What the chart says when a correction (`amend`) or a void is refused. Core refuses with
 * `invalid` on `encounter` a correction that changes nothing and any change to a voided
 * visit (its text tells which), with `invalid` on `reason` a blank reason, and with
 * `conflict` a visit of a patient in the bin.
 */
export function visitErrorWords(error: ApiError, change: VisitChange): VisitErrorWords {
  const title: MessageKey =
    change === 'amend' ? 'visits.amend.error.title' : 'visits.void.error.title';
  switch (error.code) {
    case 'invalid':
      if (error.field === 'encounter') {
        if (/void/i.test(error.message)) {
          return { title, text: 'visits.error.voided', details: false };
        }
        if (change === 'amend') {
          return { title, text: 'visits.amend.error.unchanged', details: false };
        }
      }
      if (error.field === 'reason') {
        return {
          title,
          text: change === 'amend' ? 'visits.amend.error.why' : 'visits.void.error.why',
          details: false,
          field: 'why',
        };
      }
      // The form checks the date's form; core also refuses one in the future or before 1900.
      if (error.field === 'date') return { title, text: 'visits.error.date', details: true };
      // A vital sign or a text core did not take: its own words say which.
      return { title, text: 'visits.error.invalid', details: true };
    case 'conflict':
      return { title, text: 'visits.error.inBin', details: false };
    case 'not_found':
      return { title, text: 'visits.error.notFound', details: false };
    case 'denied':
      return { title, text: 'visits.error.denied', details: false };
  }
  return {
    title,
    text: change === 'amend' ? 'visits.amend.error.other' : 'visits.void.error.other',
    details: true,
  };
}
