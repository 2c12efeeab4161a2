// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, render, settle, signedIn, unmountAll } from '../testing/screen';
import VisitsPanel from './VisitsPanel.svelte';

afterEach(unmountAll);

describe('recording a visit', () => {
  it('puts the cursor in the first field when the form opens', async () => {
    const context = await signedIn('rui');
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
    });
    const { target } = render(VisitsPanel, { patient, encounters: [], onadded: () => {} }, context);
    await settle();

    byTestId(target, 'visit-new').click();
    await settle();
    const first = target.querySelector<HTMLInputElement>('form input');
    expect(first?.id).toBe('visit-date');
    expect(document.activeElement).toBe(first);
  });
});
