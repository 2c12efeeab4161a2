// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import {
  credentialsErrorText,
  credentialsForm,
  credentialsFrom,
  credentialsProblems,
  expiryByUser,
  expiryWords,
} from '../credentials';
import { addDays, formatCalendarDate } from '../format';
import type { FakeBackend } from '../testing/fakeBackend';
import {
  allByTestId,
  byTestId,
  render,
  selectOption,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import Staff from './Staff.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Types into the `index`th field of a test id shared by each certification. */
function typeAt(root: ParentNode, testid: string, index: number, value: string) {
  const field = allByTestId<HTMLInputElement>(root, testid)[index];
  if (!field) throw new Error(`no ${testid} ${index}`);
  field.value = value;
  field.dispatchEvent(new Event('input', { bubbles: true }));
}
/** A date `days` from today (UTC, as core counts them). */
const inDays = (days: number) => addDays(new Date().toISOString().slice(0, 10), days);

/** Dan, a clinician whose life support certification expired 3 days ago. */
async function danExpired(fake: FakeBackend) {
  await fake.staffAdd({
    username: 'dan',
    display_name: 'Dan',
    role: 'clinician',
    password: 'a long first password',
  });
  await fake.credentialSet({
    username: 'dan',
    credentials: {
      specialisations: [],
      certifications: [{ name: 'ALS', expires_on: inDays(-3) }],
      affiliations: [],
      verification: 'verified',
    },
    expected_version: null,
  });
}

/** The Staff screen of an admin, with Dan's certification expired and Rui's expiring. */
async function staffScreen() {
  const context = await signedIn('ana');
  await danExpired(context.fake);
  await context.fake.credentialSet({
    username: 'rui',
    credentials: {
      licence_number: 'OM-48213',
      specialisations: ['General practice'],
      certifications: [{ name: 'BLS', issued_on: inDays(-700), expires_on: inDays(12) }],
      affiliations: ['Casa Aberta'],
      verification: 'verified',
    },
    expected_version: null,
  });
  const rendered = render(Staff, {}, context);
  await until(() => byTestId(rendered.target, 'credentials-expiring'));
  return rendered;
}

const row = (target: HTMLElement, username: string) =>
  allByTestId(target, 'staff-row').find((r) => r.querySelector('th')?.textContent === username) ??
  (() => {
    throw new Error(`no row for ${username}`);
  })();

async function openCredentials(target: HTMLElement, username: string) {
  byTestId(row(target, username), 'staff-credentials').click();
  await until(() => byTestId(document.body, 'credential-licence'));
  return byTestId(document.body, 'credentials-dialog');
}

describe('provider credentials on the Staff screen', () => {
  it('highlights certifications expired or expiring within 60 days, in words with dates', async () => {
    const { target } = await staffScreen();
    const items = allByTestId(byTestId(target, 'credentials-expiring'), 'credential-expiring-item');
    expect(items.map((i) => [i.dataset.username, i.dataset.expired])).toEqual([
      ['dan', 'true'],
      ['rui', 'false'],
    ]);
    expect(text(items[0] as HTMLElement)).toBe(
      `ALS for Dan expired 3 days ago (${formatCalendarDate(inDays(-3), 'en')})`,
    );
    expect(text(items[1] as HTMLElement)).toBe(
      `BLS for rui expires in 12 days (${formatCalendarDate(inDays(12), 'en')})`,
    );

    // A mark on the rows of both, none on the others.
    const badge = (username: string) =>
      row(target, username).querySelector<HTMLElement>('[data-testid="credential-badge"]');
    expect(text(badge('dan') as HTMLElement)).toBe('Certification expired');
    expect(badge('dan')?.dataset.expired).toBe('true');
    expect(text(badge('rui') as HTMLElement)).toBe('Certification expires soon');
    expect(badge('ana')).toBeNull();
  });

  it('offers credentials on clinicians’ rows only', async () => {
    const { target } = await staffScreen();
    expect(row(target, 'rui').querySelector('[data-testid="staff-credentials"]')).not.toBeNull();
    expect(row(target, 'ana').querySelector('[data-testid="staff-credentials"]')).toBeNull();
    expect(row(target, 'eva').querySelector('[data-testid="staff-credentials"]')).toBeNull();
  });

  it('edits a clinician’s credentials and says they were saved', async () => {
    const { target, fake } = await staffScreen();
    const dialog = await openCredentials(target, 'rui');
    await until(() => expect(document.activeElement?.id).toBe('credential-licence'));
    expect(text(byTestId(dialog, 'credentials-version'))).toContain('(version 1)');
    expect(byTestId<HTMLInputElement>(dialog, 'credential-licence').value).toBe('OM-48213');
    expect(byTestId<HTMLInputElement>(dialog, 'credential-cert-name').value).toBe('BLS');

    typeInto(dialog, 'credential-licence', 'OM-99999');
    byTestId(dialog, 'add-certifications').click();
    await settle();
    const names = allByTestId<HTMLInputElement>(dialog, 'credential-cert-name');
    expect(document.activeElement).toBe(names[1]);
    typeAt(dialog, 'credential-cert-name', 1, 'Paediatric Life Support');
    typeAt(dialog, 'credential-cert-expires', 1, inDays(-1));
    selectOption(dialog, 'credential-verification', 'unverified');
    await settle();
    byTestId(dialog, 'credential-save').click();
    await until(() => byTestId(target, 'staff-notice'));

    expect(text(byTestId(target, 'staff-notice'))).toBe('Credentials of rui saved.');
    expect(document.body.querySelector('[data-testid="credentials-dialog"]')).toBeNull();
    const stored = fake.state.credentials.find((c) => c.username === 'rui');
    expect(stored).toMatchObject({
      version: 2,
      licence_number: 'OM-99999',
      verification: 'unverified',
      updated_by: 'ana',
    });
    expect(stored?.certifications.map((c) => c.name)).toEqual(['BLS', 'Paediatric Life Support']);
    await until(() =>
      expect(
        allByTestId(target, 'credential-expiring-item').map((i) => i.dataset.username),
      ).toEqual(['dan', 'rui', 'rui']),
    );
    expect(text(allByTestId(target, 'credential-expiring-item')[1] as HTMLElement)).toContain(
      'Paediatric Life Support for rui expired yesterday',
    );
  });

  it('checks the dates before sending, and words a change made meanwhile', async () => {
    const { target, fake } = await staffScreen();
    const dialog = await openCredentials(target, 'dan');
    const sets = () => fake.calls.filter((call) => call === 'credential_set').length;
    const before = sets();
    typeAt(dialog, 'credential-cert-expires', 0, '31/12/2026');
    await settle();
    byTestId(dialog, 'credential-save').click();
    await settle();
    expect(text(dialog)).toContain('Write the date like 2026-03-31.');
    expect(sets()).toBe(before);

    // Someone saves Dan's credentials meanwhile.
    await fake.credentialSet({
      username: 'dan',
      credentials: {
        licence_number: 'X-1',
        specialisations: [],
        certifications: [],
        affiliations: [],
        verification: 'verified',
      },
      expected_version: 1,
    });
    typeAt(dialog, 'credential-cert-expires', 0, inDays(300));
    await settle();
    byTestId(dialog, 'credential-save').click();
    await until(() => byTestId(dialog, 'credentials-error'));
    expect(text(byTestId(dialog, 'credentials-error'))).toContain(
      'Someone changed these credentials since you opened them',
    );
    expect(text(byTestId(dialog, 'credentials-error'))).not.toContain('version');
    byTestId(dialog, 'credentials-reload').click();
    await until(() =>
      expect(byTestId<HTMLInputElement>(dialog, 'credential-licence').value).toBe('X-1'),
    );
    expect(text(byTestId(dialog, 'credentials-version'))).toContain('(version 2)');
  });

  it('follows core in the stand-in: clinicians only, versions checked', async () => {
    const { fake } = await signedIn('ana');
    const none = { specialisations: [], certifications: [], affiliations: [] };
    const set = (username: string, expected_version: number | null) =>
      fake.credentialSet({
        username,
        credentials: { ...none, verification: 'unverified' },
        expected_version,
      });
    await expect(set('eva', null)).rejects.toMatchObject({ code: 'invalid', field: 'account' });
    await expect(set('rui', 1)).rejects.toMatchObject({ code: 'conflict' });
    await expect(set('rui', null)).resolves.toMatchObject({ version: 1 });
    await expect(set('rui', null)).rejects.toMatchObject({ code: 'conflict' });
    await expect(set('rui', 1)).resolves.toMatchObject({ version: 2 });
    await expect(
      fake.credentialSet({
        username: 'rui',
        credentials: {
          ...none,
          certifications: [{ name: 'BLS', issued_on: '2026-05-01', expires_on: '2026-01-01' }],
          verification: 'verified',
        },
        expected_version: 2,
      }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'certification expiry' });
    expect(await fake.credentialShow({ username: 'eva' })).toBeNull();
  });
});

describe('credential helpers', () => {
  it('say an expiry in words by the days left', () => {
    expect(expiryWords(-3)).toEqual({ key: 'credentials.expiring.expired', count: 3 });
    expect(expiryWords(0)).toEqual({ key: 'credentials.expiring.today', count: 0 });
    expect(expiryWords(12)).toEqual({ key: 'credentials.expiring.soon', count: 12 });
    const item = (username: string, days_left: number) => ({
      username,
      certification: 'ALS',
      expires_on: '2026-01-01',
      days_left,
    });
    expect([...expiryByUser([item('dan', -1), item('rui', 4), item('rui', -2)])]).toEqual([
      ['dan', 'expired'],
      ['rui', 'expired'],
    ]);
  });

  it('turn the form into credentials, leaving blanks out', () => {
    const form = credentialsForm(null);
    expect(form.verification).toBe('unverified');
    // One certification offered to fill in, left out while blank.
    expect(form.certifications).toHaveLength(1);
    expect(credentialsFrom(form).certifications).toEqual([]);
    form.licence = '  ';
    form.specialisations = [' Wound care ', ''];
    form.certifications = [
      { name: 'ALS', issuer: '', issued_on: '', expires_on: '2027-01-31' },
      { name: '', issuer: '', issued_on: '', expires_on: '' },
    ];
    expect(credentialsFrom(form)).toEqual({
      licence_number: null,
      specialisations: ['Wound care'],
      certifications: [{ name: 'ALS', issuer: null, issued_on: null, expires_on: '2027-01-31' }],
      affiliations: [],
      verification: 'unverified',
    });
    expect(credentialsProblems(form)).toEqual([]);
    form.certifications = [
      { name: '', issuer: 'ERC', issued_on: '2026-05-01', expires_on: '2026-01-01' },
    ];
    expect(credentialsProblems(form).map((p) => [p.field, p.key])).toEqual([
      ['cert-0-name', 'form.required'],
      ['cert-0-expires_on', 'credentials.error.expiresBeforeIssued'],
    ]);
    expect(credentialsErrorText({ code: 'invalid', message: '', field: 'account' })).toBe(
      'credentials.error.account',
    );
    expect(credentialsErrorText({ code: 'internal', message: '' })).toBe('credentials.error.other');
  });
});
