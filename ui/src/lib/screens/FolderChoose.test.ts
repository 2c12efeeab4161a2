// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { inFolder } from '../backups';
import { BackupStore } from '../stores/backups.svelte';
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
import Backups from './Backups.svelte';
import Shell from './Shell.svelte';

afterEach(unmountAll);

const valueOf = (root: ParentNode, testid: string) =>
  byTestId<HTMLInputElement>(root, testid).value;

/** The "Choose…" beside the field `testid`. */
const chooserOf = (root: ParentNode, testid: string) =>
  byTestId(root, testid)
    .closest('.input-row, .row')
    ?.querySelector<HTMLButtonElement>('[data-testid="folder-choose"]') ?? null;

async function backupsScreen() {
  const context = await signedIn('ana');
  const rendered = render(Backups, { backups: new BackupStore(context.app.backend) }, context);
  await until(() => byTestId(rendered.target, 'backup-destination'));
  return rendered;
}

describe('choosing a folder with the system’s chooser', () => {
  it('fills the backup folder, and leaves it as it was when the chooser is cancelled', async () => {
    const { target, fake } = await backupsScreen();
    const choose = chooserOf(target, 'backup-destination');
    expect(choose?.textContent?.trim()).toBe('Choose…');
    expect(choose?.title).toBe('Choose a folder for backups (a USB stick works)');
    choose?.click();
    await until(() => expect(valueOf(target, 'backup-destination')).toBe('/media/usb/TESSERA'));
    expect(fake.calls).toContain('folder_choose');

    // A typed path still works; a cancelled chooser changes nothing.
    typeInto(target, 'backup-destination', '/media/other');
    fake.state.chosenFolder = null;
    choose?.click();
    await settle();
    expect(valueOf(target, 'backup-destination')).toBe('/media/other');
  });

  it('fills a folder of the schedule and the folder to prune', async () => {
    const { target } = await backupsScreen();
    await until(() => byTestId(target, 'backup-schedule-destination-0'));
    chooserOf(target, 'backup-schedule-destination-0')?.click();
    await until(() =>
      expect(valueOf(target, 'backup-schedule-destination-0')).toBe('/media/usb/TESSERA'),
    );
    chooserOf(target, 'backup-prune-destination')?.click();
    await until(() =>
      expect(valueOf(target, 'backup-prune-destination')).toBe('/media/usb/TESSERA'),
    );
  });

  it('says in words when the chooser cannot open', async () => {
    const { target, fake } = await backupsScreen();
    fake.folderChoose = () => Promise.reject({ code: 'internal', message: 'no portal' });
    chooserOf(target, 'backup-destination')?.click();
    await until(() => byTestId(target, 'folder-choose-error'));
    expect(byTestId(target, 'folder-choose-error').textContent).toContain(
      'Type the folder’s full path instead.',
    );
  });

  it('puts an export in the chosen folder, following the kind and format as before', async () => {
    const context = await signedIn('rui');
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    context.app.nav.openPatient(patient.id);
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'export-open'));
    byTestId(target, 'export-open').click();
    await settle();
    const dialog = byTestId(document.body, 'export-dialog');
    expect(valueOf(dialog, 'export-path')).toBe(`~/${patient.human_id}-summary.pdf`);
    chooserOf(dialog, 'export-path')?.click();
    await until(() =>
      expect(valueOf(dialog, 'export-path')).toBe(
        `/media/usb/TESSERA/${patient.human_id}-summary.pdf`,
      ),
    );
    byTestId(dialog, 'export-kind-full').click();
    await settle();
    expect(valueOf(dialog, 'export-path')).toBe(`/media/usb/TESSERA/${patient.human_id}-full.pdf`);

    // A name typed by hand is kept in the next folder chosen.
    typeInto(dialog, 'export-path', '~/zoe.pdf');
    context.fake.state.chosenFolder = '/media/stick';
    chooserOf(dialog, 'export-path')?.click();
    await until(() => expect(valueOf(dialog, 'export-path')).toBe('/media/stick/zoe.pdf'));
    expect(allByTestId(dialog, 'folder-choose')).toHaveLength(1);
  });

  it('keeps the file name when a folder is chosen', () => {
    expect(inFolder('/media/usb/TESSERA', '~/TS-1-summary.pdf')).toBe(
      '/media/usb/TESSERA/TS-1-summary.pdf',
    );
    expect(inFolder('/media/usb/', 'zoe.tar')).toBe('/media/usb/zoe.tar');
    expect(inFolder('/', '/home/a/zoe.tar')).toBe('/zoe.tar');
    expect(inFolder('E:\\TESSERA', '~/zoe.tar')).toBe('E:\\TESSERA\\zoe.tar');
  });
});
