/** Where the user is: a tiny in-memory router (no URLs to leak, nothing to bookmark). */

export type PatientTab = 'profile' | 'visits' | 'narratives' | 'photos';

export type Screen =
  | { name: 'patients' }
  | { name: 'new-patient' }
  | { name: 'patient'; id: string; tab: PatientTab }
  | { name: 'staff' }
  | { name: 'audit' }
  | { name: 'backups' }
  | { name: 'settings' };

export type ScreenName = Screen['name'];

export class NavStore {
  screen = $state<Screen>({ name: 'patients' });
  /** The patient list's search text, kept while moving around. */
  patientQuery = $state('');
  /** Increases on every move, so the screen heading can take focus. */
  moves = $state(0);

  go(screen: Screen): void {
    this.screen = screen;
    this.moves += 1;
  }

  openPatient(id: string, tab: PatientTab = 'profile'): void {
    this.go({ name: 'patient', id, tab });
  }

  /** Back to the start, forgetting the last user's place. */
  reset(): void {
    this.screen = { name: 'patients' };
    this.patientQuery = '';
    this.moves += 1;
  }
}
