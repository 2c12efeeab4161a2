// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import {
  allByTestId,
  byTestId,
  render,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import Shell from './Shell.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/** The new patient form, as `user` sees it, with Zoë Dubois already registered. */
async function registering(user: string) {
  const context = await signedIn(user);
  const zoe = await context.fake.patientCreate({
    profile: {
      given_name: 'Zoë',
      family_name: 'Dubois-Martin',
      date_of_birth: '1990-07-14',
      phone: '+33 6 12 34 56 78',
      status: 'active',
    },
    not_duplicate: true,
  });
  context.app.nav.go({ name: 'new-patient' });
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'field-given_name'));
  return { ...rendered, zoe };
}

/** Types the same person as Zoë, written another way, and saves. */
async function typeZoeAgain(target: HTMLElement) {
  typeInto(target, 'field-given_name', 'zoe');
  typeInto(target, 'field-family_name', 'DUBOIS MARTIN');
  typeInto(target, 'field-date_of_birth', '1990-07-14');
  await settle();
  byTestId(target, 'save-button').click();
  await until(() => byTestId(target, 'duplicate-warning'));
}

describe('registering someone who may have a record already', () => {
  it('warns with the match, moves the keyboard there and keeps what was typed', async () => {
    const { target, fake, zoe } = await registering('rui');
    await typeZoeAgain(target);

    const warning = byTestId(target, 'duplicate-warning');
    expect(document.activeElement).toBe(warning);
    expect(text(warning)).toContain('This may be someone already registered');
    const matches = allByTestId<HTMLButtonElement>(warning, 'duplicate-match');
    expect(matches).toHaveLength(1);
    expect(matches[0]?.tagName).toBe('BUTTON');
    expect(matches[0]?.dataset.humanId).toBe(zoe.human_id);
    const match = text(matches[0] as HTMLElement);
    expect(match).toContain('Zoë Dubois-Martin');
    expect(match).toContain('born 14 Jul 1990');
    expect(match).toContain(zoe.human_id);
    // The backend's own sentence is not the message.
    expect(text(warning)).not.toContain('register anyway if this is someone else');

    // Nothing was saved, nothing typed was lost.
    expect(fake.state.patients).toHaveLength(1);
    expect(fake.calls).toContain('patient_duplicates');
    expect(byTestId<HTMLInputElement>(target, 'field-given_name').value).toBe('zoe');
    expect(byTestId<HTMLInputElement>(target, 'field-family_name').value).toBe('DUBOIS MARTIN');
    expect(byTestId<HTMLInputElement>(target, 'field-date_of_birth').value).toBe('1990-07-14');
  });

  it('opens the matching record from the warning', async () => {
    const { target, app, zoe } = await registering('rui');
    await typeZoeAgain(target);
    byTestId(target, 'duplicate-match').click();
    await until(() => expect(text(byTestId(target, 'patient-human-id'))).toBe(zoe.human_id));
    expect(app.nav.screen).toMatchObject({ name: 'patient', id: zoe.id });

    // What was typed is still there when the form is opened again.
    app.nav.go({ name: 'new-patient' });
    await until(() => byTestId(target, 'field-given_name'));
    expect(byTestId<HTMLInputElement>(target, 'field-given_name').value).toBe('zoe');
  });

  it('registers anyway when a person says this is someone else', async () => {
    const { target, fake, app, zoe } = await registering('rui');
    await typeZoeAgain(target);
    byTestId(target, 'duplicate-register-anyway').click();
    await until(() => expect(fake.state.patients).toHaveLength(2));
    const added = fake.state.patients.find((p) => p.id !== zoe.id);
    expect(added?.given_name).toBe('zoe');
    expect(added?.date_of_birth).toBe('1990-07-14');
    await until(() => expect(app.nav.screen).toMatchObject({ name: 'patient', id: added?.id }));

    // The draft is gone: the next registration starts empty.
    app.nav.go({ name: 'new-patient' });
    await until(() => byTestId(target, 'field-given_name'));
    expect(byTestId<HTMLInputElement>(target, 'field-given_name').value).toBe('');
  });

  it('lets a registration with no match through at once', async () => {
    const { target, fake, app } = await registering('rui');
    typeInto(target, 'field-given_name', 'Anna');
    typeInto(target, 'field-family_name', 'Dubois-Martin');
    typeInto(target, 'field-date_of_birth', '1990-07-14');
    await settle();
    byTestId(target, 'save-button').click();
    await until(() => expect(app.nav.screen.name).toBe('patient'));
    expect(fake.state.patients).toHaveLength(2);
    expect(fake.calls).not.toContain('patient_duplicates');
  });

  it('warns the front desk too (a phone ending the same way), which opens the match’s desk card', async () => {
    const { target, fake, app, zoe } = await registering('eva');
    typeInto(target, 'field-given_name', 'Marie');
    typeInto(target, 'field-family_name', 'Dubois');
    typeInto(target, 'field-phone', '06 12 34 56 78');
    await settle();
    byTestId(target, 'save-button').click();
    await until(() => byTestId(target, 'duplicate-warning'));
    const warning = byTestId(target, 'duplicate-warning');
    expect(document.activeElement).toBe(warning);
    expect(text(warning)).toContain('Open a record to check it');
    expect(byTestId(warning, 'duplicate-match').dataset.humanId).toBe(zoe.human_id);
    expect(fake.state.patients).toHaveLength(1);

    // Front desk opens no chart: the match opens on its desk card.
    byTestId(warning, 'duplicate-match').click();
    await until(() => expect(text(byTestId(target, 'desk-human-id'))).toBe(zoe.human_id));
    expect(app.nav.screen).toMatchObject({ name: 'desk-card', id: zoe.id });

    // Back to the form, still filled in: registered anyway.
    app.nav.go({ name: 'new-patient' });
    await until(() => byTestId(target, 'field-phone'));
    expect(byTestId<HTMLInputElement>(target, 'field-phone').value).toBe('06 12 34 56 78');
    byTestId(target, 'save-button').click();
    await until(() => byTestId(target, 'duplicate-register-anyway'));
    byTestId(target, 'duplicate-register-anyway').click();
    await until(() => expect(fake.state.patients).toHaveLength(2));
    const added = fake.state.patients.find((p) => p.id !== zoe.id);
    await until(() => expect(app.nav.screen).toMatchObject({ name: 'desk-card', id: added?.id }));
  });

  it('still warns, in words, when the matches cannot be listed', async () => {
    const { target, fake } = await registering('rui');
    fake.patientDuplicates = () =>
      Promise.reject({ code: 'internal', message: 'database is locked' });
    await typeZoeAgain(target);
    const warning = byTestId(target, 'duplicate-warning');
    expect(text(warning)).toContain('The matching records could not be listed');
    expect(allByTestId(warning, 'duplicate-match')).toHaveLength(0);
    expect(byTestId(warning, 'duplicate-register-anyway')).not.toBeNull();
  });
});
