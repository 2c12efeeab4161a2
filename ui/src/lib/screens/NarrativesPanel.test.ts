// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, render, settle, signedIn, typeInto, unmountAll, until } from '../testing/screen';
import NarrativesPanel from './NarrativesPanel.svelte';

afterEach(unmountAll);

describe('writing a narrative', () => {
  it('puts the cursor in the text when "Write a narrative" opens the form', async () => {
    const context = await signedIn('rui');
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    const { target } = render(NarrativesPanel, { patient }, context);
    await until(() => byTestId(target, 'narratives-empty'));

    const button = byTestId(target, 'narrative-new');
    expect(button.textContent?.trim()).toBe('Write a narrative');
    button.click();
    await until(() => byTestId(target, 'narrative-body'));
    const body = byTestId<HTMLTextAreaElement>(target, 'narrative-body');
    expect(body.tagName).toBe('TEXTAREA');
    await until(() => expect(document.activeElement).toBe(body));
  });
});

describe('private narratives and who wrote them', () => {
  const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

  async function panel(user: string) {
    const context = await signedIn(user);
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    const rendered = render(NarrativesPanel, { patient }, context);
    await until(() => byTestId(rendered.target, 'narratives-empty'));
    return { ...rendered, patient };
  }

  async function write(target: HTMLElement, body: string, privately: boolean) {
    byTestId(target, 'narrative-new').click();
    await until(() => byTestId(target, 'narrative-private'));
    const box = byTestId<HTMLInputElement>(target, 'narrative-private');
    expect(box.checked).toBe(false);
    expect(text(target.querySelector(`#${box.getAttribute('aria-describedby')}`) ?? target)).toBe(
      'Only you and the administrators can read it. It is never shown through an access code.',
    );
    if (privately) box.click();
    typeInto(target, 'narrative-body', body);
    await settle();
    byTestId(target, 'narrative-submit').click();
    await until(() => byTestId(target, 'narrative-item'));
  }

  it('writes a private narrative, marked as such, read by its writer and admins only', async () => {
    const { target, fake, patient } = await panel('rui');
    await write(target, 'Disclosed a difficult home situation.', true);
    const item = byTestId(target, 'narrative-item');
    expect(text(byTestId(item, 'narrative-private-mark'))).toContain('Private');
    expect(text(byTestId(item, 'narrative-private-mark'))).toContain(
      'Only rui and the administrators can read it.',
    );
    expect(text(item)).toContain('Written by rui (Clinician)');
    expect(fake.state.narratives[0]).toMatchObject({ private: true, author_role: 'clinician' });

    // Another clinician does not see it (nor can open its history); an admin does.
    const rui = fake.state.session;
    if (!rui) throw new Error('signed out');
    fake.state.session = { ...rui, username: 'lea' };
    expect(await fake.narrativeList({ patient: patient.id })).toEqual([]);
    await expect(
      fake.narrativeHistory({ narrative_id: fake.state.narratives[0]?.id ?? '' }),
    ).rejects.toMatchObject({ code: 'denied' });
    fake.state.session = { ...rui, username: 'ana', role: 'admin' };
    expect(await fake.narrativeList({ patient: patient.id })).toHaveLength(1);
  });

  it('says an admin’s narrative is an administrator’s, and the patient’s own words as such', async () => {
    const { target, fake } = await panel('ana');
    await write(target, 'Called the family.', false);
    const item = byTestId(target, 'narrative-item');
    expect(item.querySelector('[data-testid="narrative-private-mark"]')).toBeNull();
    expect(text(item)).toContain('Written by ana (Administrator)');
    expect(text(item)).not.toContain('as clinician');
    expect(fake.state.narratives[0]).toMatchObject({ private: false, author_role: 'admin' });
  });

  it('keeps saying whose words a narrative gives', async () => {
    const context = await signedIn('rui');
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    const own = await context.fake.narrativeAdd({
      patient: patient.id,
      body: 'I want to go home.',
      private: false,
    });
    const older = await context.fake.narrativeAdd({
      patient: patient.id,
      body: 'Written before roles were kept.',
      private: false,
    });
    for (const n of context.fake.state.narratives) {
      if (n.id === own.id) n.author_type = 'patient';
      if (n.id === older.id) n.author_role = null;
    }
    const { target } = render(NarrativesPanel, { patient }, context);
    await until(() =>
      expect(target.querySelectorAll('[data-testid="narrative-item"]')).toHaveLength(2),
    );
    const items = [...target.querySelectorAll('[data-testid="narrative-item"]')].map(text);
    expect(items.some((i) => i.includes('The patient’s own words, written down by rui'))).toBe(
      true,
    );
    expect(items.some((i) => i.includes('Written by rui as clinician'))).toBe(true);
  });
});
