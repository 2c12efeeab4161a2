// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { AuditRecord } from '../backend';
import type { FakeBackend } from '../testing/fakeBackend';
import { allByTestId, byTestId, render, signedIn, unmountAll, until } from '../testing/screen';
import Audit from './Audit.svelte';

afterEach(unmountAll);

const SESSION = '0190a8c4-5f1e-7b2a-9c3d-4e5f6a7b8c9d';

/** Replaces the stand-in's log with these entries (oldest first, as core keeps it). */
function logOf(fake: FakeBackend, entries: Partial<AuditRecord>[]) {
  fake.state.audit = entries.map((fields, i) => ({
    seq: i + 1,
    at: `2026-03-01T09:0${i}:00Z`,
    actor_id: null,
    actor: 'ana',
    session_id: SESSION,
    action: 'patient.view',
    resource_type: 'patient',
    resource_id: null,
    before: null,
    after: null,
    reason: null,
    ...fields,
  }));
}

describe('the audit log', () => {
  it('says in words what was done and by whom, with the codes and ids under Details', async () => {
    const context = await signedIn('ana');
    const { fake } = context;
    for (const account of fake.state.staff) {
      if (account.username === 'ana') account.display_name = 'Ana Souza';
      if (account.username === 'rui') account.display_name = 'Rui Lopes';
    }
    const ruiId = fake.state.staff.find((a) => a.username === 'rui')?.id ?? null;
    logOf(fake, [
      { action: 'session.open', resource_type: 'session', resource_id: SESSION },
      { action: 'patient.view', actor: 'rui', resource_id: '0190-patient' },
      { action: 'backup.run', resource_type: 'backup', resource_id: '0190-backup' },
      { action: 'auth.login_failed', actor: 'rui', resource_type: 'staff', resource_id: ruiId },
      {
        action: 'access.denied',
        actor: 'rui',
        resource_type: 'action',
        resource_id: 'audit.list',
      },
      { action: 'future.thing', resource_type: 'vault', reason: 'testing' },
    ]);
    const { target } = render(Audit, {}, context);
    await until(() => expect(allByTestId(target, 'audit-row')).toHaveLength(6));
    const cells = (testid: string) =>
      allByTestId(target, testid).map((cell) => cell.textContent?.trim());

    // Newest first.
    expect(cells('audit-row-what')).toEqual([
      'future.thing',
      'Was refused something their role does not allow',
      'Sign-in failed: wrong password',
      'Ran the configured backup',
      'Viewed a patient record',
      'Signed in',
    ]);
    expect(cells('audit-row-actor')).toEqual([
      'Ana Souza',
      'Rui Lopes',
      'Rui Lopes',
      'Ana Souza',
      'Rui Lopes',
      'Ana Souza',
    ]);
    expect(cells('audit-row-about')).toEqual([
      'Vault',
      'Refused: Read the audit log',
      'Staff account: Rui Lopes',
      'Backup',
      'Patient record',
      'Session',
    ]);

    // No session UUID or raw code in sight: they are in each row's details, for support.
    const rows = allByTestId(target, 'audit-row');
    const signIn = rows[5];
    if (!signIn) throw new Error('no sign-in row');
    const visible = [...signIn.children]
      .map((cell) => (cell.querySelector('details') ? '' : cell.textContent))
      .join(' ');
    expect(visible).not.toContain(SESSION);
    expect(visible).not.toContain('session.open');
    const details = byTestId<HTMLDetailsElement>(signIn, 'audit-row-details');
    expect(details.open).toBe(false);
    const summary = details.querySelector('summary');
    expect(summary?.textContent).toContain('Details');
    expect(summary?.textContent).toContain('of entry 1');
    expect(byTestId(details, 'audit-code').textContent).toBe('session.open');
    expect(byTestId(details, 'audit-session').textContent).toBe(SESSION);
    expect(details.textContent).toContain(`session/${SESSION}`);

    // The action filter suggests codes with their words.
    const option = target.querySelector<HTMLOptionElement>(
      '#audit-actions option[value="backup.run"]',
    );
    expect(option?.getAttribute('label')).toBe('Ran the configured backup');
  });

  it('shows user names when the staff list cannot be read', async () => {
    const context = await signedIn('ana');
    context.fake.staffList = () => Promise.reject({ code: 'internal', message: 'unavailable' });
    logOf(context.fake, [{ action: 'patient.view', actor: 'rui' }]);
    const { target } = render(Audit, {}, context);
    await until(() => expect(allByTestId(target, 'audit-row')).toHaveLength(1));
    expect(byTestId(target, 'audit-row-actor').textContent?.trim()).toBe('rui');
    expect(byTestId(target, 'audit-row-what').textContent?.trim()).toBe('Viewed a patient record');
  });
});
