// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

import { guardSession } from '../backend';
import { DraftStore } from '../stores/drafts.svelte';
import { language } from '../stores/language.svelte';
import { NavStore } from '../stores/nav.svelte';
import { SessionStore } from '../stores/session.svelte';
import { createFakeBackend } from '../testing/fakeBackend';
import { byTestId, render, settle, typeInto, unmountAll, until } from '../testing/screen';
import Setup from './Setup.svelte';

afterEach(() => {
  unmountAll();
  language.set('en');
});

const PASSWORD = 'correct horse battery';

/** The first-run screen over a computer with no vault yet. */
async function setupScreen() {
  const fake = createFakeBackend({ vaultExists: false });
  const drafts = new DraftStore();
  const backend = guardSession(fake, () => {});
  const session = new SessionStore(backend, drafts, language);
  await session.load();
  expect(session.phase).toBe('setup');
  return render(Setup, {}, { fake, app: { backend, session, drafts, nav: new NavStore() } });
}

function fill(target: HTMLElement, username: string, password: string, confirm = password) {
  typeInto(target, 'setup-username', username);
  typeInto(target, 'setup-password', password);
  typeInto(target, 'setup-confirm', confirm);
}

const words = (el: Element | null | undefined) =>
  (el?.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('first-run setup that fails', () => {
  it('puts the cursor in the first field that says what is wrong', async () => {
    const { target, fake } = await setupScreen();
    const create = vi.spyOn(fake, 'vaultCreate');

    byTestId(target, 'setup-submit').click();
    await settle();
    expect(document.activeElement).toBe(byTestId(target, 'setup-username'));

    fill(target, 'ana', 'short');
    byTestId(target, 'setup-submit').click();
    await settle();
    expect(target.querySelector('#setup-password-error')?.textContent).toBe(
      'Use at least 10 characters.',
    );
    expect(document.activeElement).toBe(byTestId(target, 'setup-password'));

    fill(target, 'ana', PASSWORD, `${PASSWORD}!`);
    byTestId(target, 'setup-submit').click();
    await settle();
    expect(document.activeElement).toBe(byTestId(target, 'setup-confirm'));
    expect(create).not.toHaveBeenCalled();
  });

  it('takes the cursor to a field the backend refused, its words at the field', async () => {
    const { target, fake } = await setupScreen();
    vi.spyOn(fake, 'vaultCreate').mockRejectedValueOnce({
      code: 'invalid',
      field: 'display name',
      message: 'display name: must not contain control characters',
    });
    fill(target, 'ana', PASSWORD);
    typeInto(target, 'setup-display-name', 'Ana\u0007');
    byTestId(target, 'setup-submit').click();
    await until(() => expect(document.activeElement).toBe(byTestId(target, 'setup-display-name')));
    expect(target.querySelector('#setup-display-name-error')?.textContent).toBe(
      'display name: must not contain control characters',
    );
    // What was typed stays, to be corrected and sent again.
    expect(byTestId<HTMLInputElement>(target, 'setup-password').value).toBe(PASSWORD);
    expect(target.querySelector('#setup-password-error')).toBeNull();
  });
});

describe('the recovery sheet', () => {
  async function recoverySheet() {
    const rendered = await setupScreen();
    fill(rendered.target, 'ana', PASSWORD);
    byTestId(rendered.target, 'setup-submit').click();
    await until(() => byTestId(rendered.target, 'screen-recovery'));
    return rendered;
  }

  it('says how the key is used, and to print it on paper, not to a file', async () => {
    const { target } = await recoverySheet();
    const use = words(byTestId(target, 'recovery-use'));
    expect(use).toContain('if every administrator password is lost');
    expect(use).toContain('on the sign-in screen and type this key to set a new one');
    expect(use).toContain('restore a backup');

    const warning = byTestId(target, 'recovery-print-warning');
    expect(words(warning)).toBe(
      'Print on paper. Do not choose “Print to file” or “Save as PDF”: that would store the key on this computer.',
    );
    // Next to the Print button, which it describes.
    const print = byTestId(target, 'recovery-print');
    expect(print.getAttribute('aria-describedby')).toBe(warning.id);
    expect(warning.parentElement).toBe(print.parentElement?.parentElement);
  });

  it('goes on to sign-in only once the last group of the key is typed again', async () => {
    const { target, app } = await recoverySheet();
    const key = byTestId(target, 'recovery-key');
    expect(words(key)).toBe('K7Q2M-4XRTA-9PZ3H-WN8CD-E5VJF-2GKBY-6HMQS-T3RXA-PZ9WN-4CDEV-JF7QA');
    const go = byTestId<HTMLButtonElement>(target, 'recovery-continue');
    expect(go.textContent?.trim()).toBe('I have kept the key – continue');
    expect(go.disabled).toBe(true);
    typeInto(target, 'recovery-confirm', 'JF7QB');
    await settle();
    expect(go.disabled).toBe(true);
    expect(target.querySelector('#recovery-confirm-error')?.textContent).toBe(
      'This is not the last group of the key.',
    );
    typeInto(target, 'recovery-confirm', 'jf7qa');
    await settle();
    expect(go.disabled).toBe(false);
    go.click();
    await until(() => expect(app.session.phase).toBe('locked'));
    expect(app.session.lastUsername).toBe('ana');
  });

  it('says it in French', async () => {
    const { target } = await recoverySheet();
    language.set('fr');
    await settle();
    expect(words(byTestId(target, 'recovery-use'))).toContain(
      'à l’écran de connexion et saisissez cette clé pour en définir un nouveau',
    );
    // Non-breaking spaces inside the quotes and before the colon.
    expect(byTestId(target, 'recovery-print-warning').textContent?.trim()).toBe(
      'Imprimez sur papier. Ne choisissez pas «\u00a0Imprimer dans un fichier\u00a0» ni «\u00a0Enregistrer au format PDF\u00a0»\u00a0: la clé serait alors enregistrée sur cet ordinateur.',
    );
  });
});
