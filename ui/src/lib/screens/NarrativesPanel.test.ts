// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, render, signedIn, unmountAll, until } from '../testing/screen';
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
