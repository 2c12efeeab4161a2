/** Where the user is: a tiny in-memory router (no URLs to leak, nothing to bookmark). */
import type { MessageKey, Params } from '../i18n';

export type PatientTab = 'profile' | 'visits' | 'narratives' | 'photos' | 'consents';

export type Screen =
  | { name: 'patients' }
  | { name: 'new-patient' }
  | { name: 'patient'; id: string; tab: PatientTab }
  /** The front desk's part of a record, for roles that open no chart. */
  | { name: 'desk-card'; id: string }
  | { name: 'desk' }
  | { name: 'verify' }
  /** The export log: every export, or one patient's. */
  | { name: 'exports'; patient?: { id: string; human_id: string } }
  /** Moving records between paired vaults on a stick. */
  | { name: 'transfer' }
  | { name: 'staff' }
  | { name: 'audit' }
  | { name: 'backups' }
  | { name: 'retention' }
  | { name: 'settings' };

export type ScreenName = Screen['name'];

/** A message for the screen moved to, shown once: what just happened (a patient erased). */
export type Notice = { title: MessageKey; items: { key: MessageKey; params?: Params }[] };

export class NavStore {
  screen = $state<Screen>({ name: 'patients' });
  /** The patient list's search text, kept while moving around. */
  patientQuery = $state('');
  /** Increases on every move, so the screen heading can take focus. */
  moves = $state(0);
  /** Told on the screen moved to; the next move forgets it. */
  notice = $state<Notice | null>(null);

  go(screen: Screen, notice: Notice | null = null): void {
    this.screen = screen;
    this.notice = notice;
    this.moves += 1;
  }

  openPatient(id: string, tab: PatientTab = 'profile'): void {
    this.go({ name: 'patient', id, tab });
  }

  /** A patient's chart (`chart`: the user may open one), else their desk card. */
  openRecord(id: string, chart: boolean): void {
    if (chart) this.openPatient(id);
    else this.go({ name: 'desk-card', id });
  }

  /** Back to the start, forgetting the last user's place. */
  reset(): void {
    this.screen = { name: 'patients' };
    this.patientQuery = '';
    this.notice = null;
    this.moves += 1;
  }
}
