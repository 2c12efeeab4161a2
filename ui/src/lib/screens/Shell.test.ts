// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

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

afterEach(unmountAll);

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
