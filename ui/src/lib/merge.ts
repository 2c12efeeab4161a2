/**
 * Merging a duplicate record into another (admins, on the chart): what moved, in words, and
 * the refusals of a merge or of its undoing. The backend's own text is never the message;
 * where it may help support, it is offered under "Details".
 */
import type { ApiError, PatientMerge } from './bindings';
import type { MessageKey, Params } from './i18n';

/** "2 visits, 1 narrative, 0 photos and 0 consents moved.", through `translate`. */
export function movedWords(
  moved: PatientMerge['moved'],
  translate: (key: MessageKey, params?: Params) => string,
): string {
  const count = (key: MessageKey, table: string) => translate(key, { count: moved[table] ?? 0 });
  return translate('merge.moved', {
    visits: count('merge.count.visits', 'encounters'),
    narratives: count('merge.count.narratives', 'narratives'),
    photos: count('merge.count.photos', 'photos'),
    consents: count('merge.count.consents', 'consents'),
  });
}

export type MergeErrorWords = {
  /** The alert's heading. */
  title: MessageKey;
  /** What happened and what to do. */
  text: MessageKey;
  /** Whether the backend's own text is offered under "Details" (for support). */
  details: boolean;
};

/**
 * What the chart says when `patient_merge` (`merge`) or `patient_unmerge` (`undo`) fails.
 * Core's `conflict` on a merge is either a record in the bin or a record others were merged
 * into (which cannot itself be merged away); on an undo, a merge already undone or made
 * final by emptying the bin. `invalid` on a merge is the same record twice.
 */
export function mergeErrorWords(error: ApiError, change: 'merge' | 'undo'): MergeErrorWords {
  const title: MessageKey = change === 'merge' ? 'merge.error.title' : 'merge.undo.error.title';
  switch (error.code) {
    case 'conflict':
      if (change === 'undo') return { title, text: 'merge.undo.error.final', details: false };
      if (/merged into/i.test(error.message)) {
        return { title, text: 'merge.error.hasMerges', details: false };
      }
      return { title, text: 'merge.error.inBin', details: false };
    case 'invalid':
      if (change === 'merge' && error.field === 'patient') {
        return { title, text: 'merge.error.same', details: false };
      }
      break;
    case 'not_found':
      return { title, text: 'merge.error.notFound', details: false };
    case 'denied':
      return { title, text: 'merge.error.denied', details: false };
  }
  return { title, text: 'merge.error.other', details: true };
}
