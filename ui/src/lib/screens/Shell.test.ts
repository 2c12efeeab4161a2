// @vitest-environment happy-dom
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { language } from '../stores/language.svelte';
import {
  allByTestId,
  byTestId,
  render,
  settle,
  signedIn,
  unmountAll,
  until,
} from '../testing/screen';
import Shell from './Shell.svelte';
import Unlock from './Unlock.svelte';

afterEach(() => {
  unmountAll();
  vi.useRealTimers();
  language.set('en');
});

describe('the first sign-in after an upgrade', () => {
  it('says where the copy of the vault as it was is kept, until dismissed', async () => {
    const context = await signedIn('ana');
    const info = context.app.session.info;
    if (!info) throw new Error('signed in');
    context.app.session.info = {
      ...info,
      upgrade: {
        from_schema: 6,
        to_schema: 7,
        pre_upgrade_copy: '/home/ana/.local/share/tessera.pre-upgrade-20261203T1530Z',
        kept_for_days: 30,
      },
    };
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'vault-upgraded'));
    const notice = byTestId(target, 'vault-upgraded');
    expect(notice.textContent).toContain('tessera.pre-upgrade-20261203T1530Z');
    expect(notice.textContent).toContain('30 days');
    notice.querySelector('button')?.click();
    await settle();
    expect(allByTestId(target, 'vault-upgraded')).toHaveLength(0);
  });

  it('says nothing on an ordinary sign-in', async () => {
    const context = await signedIn('ana');
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'screen-patients'));
    expect(allByTestId(target, 'vault-upgraded')).toHaveLength(0);
  });
});

describe('the warning before the auto-lock', () => {
  /** The shell signed in as ana (5 minutes' auto-lock), its clock under the test's hand. */
  async function shell() {
    // The interval and the clock are fake; promises and Svelte's updates run as usual.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const context = await signedIn('ana');
    expect(context.app.session.info?.auto_lock_minutes).toBe(5);
    const rendered = render(Shell, {}, context);
    await until(() => byTestId(rendered.target, 'screen-patients'));
    const touches = () => context.fake.calls.filter((c) => c === 'session_touch').length;
    const advance = (ms: number) => {
      vi.advanceTimersByTime(ms);
      flushSync();
    };
    const warning = () => rendered.target.querySelector('[data-testid="autolock-warning"]');
    const announced = () =>
      byTestId(rendered.target, 'autolock-announcement').textContent?.trim() ?? '';
    return { ...rendered, touches, advance, warning, announced };
  }

  it('counts down in the last 30 seconds, told to screen readers at 30 and 10 only', async () => {
    const { advance, warning, announced } = await shell();
    advance(269_000);
    expect(warning()).toBeNull();
    expect(announced()).toBe('');
    advance(1_000);
    expect(warning()?.textContent?.trim()).toBe(
      'Tessera will lock in 30 seconds. Press any key or move the mouse to stay signed in.',
    );
    expect(announced()).toContain('30 seconds');
    advance(5_000);
    expect(warning()?.textContent?.trim()).toBe(
      'Tessera will lock in 25 seconds. Press any key or move the mouse to stay signed in.',
    );
    expect(announced()).toContain('30 seconds');
    advance(14_000);
    expect(warning()?.textContent).toContain('11 seconds');
    expect(announced()).toContain('30 seconds');
    advance(1_000);
    expect(announced()).toContain('10 seconds');
    advance(9_000);
    expect(warning()?.textContent).toContain('1 second.');
    expect(announced()).toContain('10 seconds');
    // It takes no focus: what was being typed keeps the keyboard.
    expect(warning()?.contains(document.activeElement)).toBe(false);
  });

  it('goes on a key press, which touches the backend at once', async () => {
    const { advance, warning, touches, announced } = await shell();
    advance(280_000);
    expect(warning()).not.toBeNull();
    const before = touches();
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Shift', bubbles: true }));
    flushSync();
    expect(warning()).toBeNull();
    expect(announced()).toBe('');
    await settle();
    expect(touches()).toBe(before + 1);
    // The backend's timer started again: the next warning is 4½ minutes away.
    advance(269_000);
    expect(warning()).toBeNull();
    advance(1_000);
    expect(warning()).not.toBeNull();
  });

  it('goes on a mouse move or a click', async () => {
    const { advance, warning, touches } = await shell();
    advance(60_000);
    window.dispatchEvent(new MouseEvent('mousemove', { bubbles: true }));
    await settle();
    expect(touches()).toBe(0); // a mouse move alone is not activity
    advance(220_000);
    expect(warning()).not.toBeNull();
    window.dispatchEvent(new MouseEvent('mousemove', { bubbles: true }));
    flushSync();
    expect(warning()).toBeNull();
    await settle();
    expect(touches()).toBe(1);
    advance(290_000);
    expect(warning()).not.toBeNull();
    document.body.dispatchEvent(new MouseEvent('pointerdown', { bubbles: true }));
    flushSync();
    expect(warning()).toBeNull();
    await settle();
    expect(touches()).toBe(2);
  });

  it('leaves the lock to the backend: locked, the usual sign-in screen follows', async () => {
    const { advance, fake, app } = await shell();
    await settle(); // the patient list's own search is done
    fake.state.session = null; // the backend locked, and its event was missed
    const asked = fake.calls.length;
    advance(300_000);
    expect(app.session.phase).toBe('open');
    advance(3_000);
    await until(() => expect(app.session.phase).toBe('locked'));
    expect(app.session.lockReason).toBe('inactivity');
    expect(app.session.lastUsername).toBe('ana');
    // Asked without touching: the UI never keeps the session alive by itself.
    expect(fake.calls.slice(asked)).toEqual(['app_status']);
  });
});

describe('lock and sign out', () => {
  it('offers both, each saying what it does', async () => {
    const context = await signedIn('rui');
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'screen-patients'));
    const lock = byTestId(target, 'lock-button');
    const signOut = byTestId(target, 'sign-out-button');
    expect(signOut.textContent?.trim()).toBe('Sign out');
    expect(signOut.tagName).toBe('BUTTON');
    const describedBy = (el: HTMLElement) =>
      document.getElementById(el.getAttribute('aria-describedby') ?? '')?.textContent;
    expect(describedBy(lock)).toContain('keeps your name');
    expect(describedBy(signOut)).toContain('forgets your name');
    expect(signOut.getAttribute('title')).toBe(describedBy(signOut));
    expect(byTestId(target, 'signed-in-as').textContent).toContain('rui');
    expect(byTestId(target, 'signed-in-as').textContent).toContain('Clinician');
  });

  it('signs out: the next person finds an empty user name', async () => {
    const context = await signedIn('rui');
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'screen-patients'));
    byTestId(target, 'sign-out-button').click();
    await until(() => expect(context.app.session.phase).toBe('locked'));
    expect(context.fake.calls).toContain('session_lock');
    expect(context.app.session.lockReason).toBe('signed_out');
    const unlock = render(Unlock, {}, context);
    expect(byTestId<HTMLInputElement>(unlock.target, 'unlock-username').value).toBe('');
    expect(byTestId(unlock.target, 'unlock-signed-out').textContent).toContain('Signed out');
  });

  it('asks before discarding unsaved forms, and can stay signed in', async () => {
    const context = await signedIn('rui');
    context.app.drafts.open('visit:p1', () => ({ reason: '' })).reason = 'chest pain';
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'screen-patients'));
    const signOut = byTestId(target, 'sign-out-button');
    signOut.click();
    await until(() => byTestId(document.body, 'sign-out-confirm'));
    expect(byTestId(document.body, 'sign-out-confirm').textContent).toContain(
      'An unsaved form is open',
    );
    expect(context.fake.calls).not.toContain('session_lock');
    byTestId(document.body, 'sign-out-confirm-close').click();
    await settle();
    expect(allByTestId(document.body, 'sign-out-confirm')).toHaveLength(0);
    expect(context.app.session.phase).toBe('open');
    expect(document.activeElement).toBe(signOut);

    signOut.click();
    await until(() => byTestId(document.body, 'sign-out-confirm-yes'));
    byTestId(document.body, 'sign-out-confirm-yes').click();
    await until(() => expect(context.app.session.phase).toBe('locked'));
    expect(context.app.drafts.keys()).toEqual([]);
    expect(context.app.session.lastUsername).toBe('');
  });
});
