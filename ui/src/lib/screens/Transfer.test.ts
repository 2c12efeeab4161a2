// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { Conflict, Patient } from '../backend';
import { emptyCounts, outcome, type FakeBundle } from '../testing/fakeTransfer';
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
import Shell from './Shell.svelte';
import Transfer from './Transfer.svelte';

afterEach(unmountAll);

const FIELD = '0190a1b2-0000-7000-8000-0000000f1e1d';
const STICK = '/media/usb/TESSERA';

type Fake = Awaited<ReturnType<typeof signedIn>>['fake'];

/** The Transfer screen for `user`, after `before` prepared the stand-in. */
async function transferScreen(
  user = 'ana',
  before: (fake: Fake) => Promise<void> | void = () => {},
) {
  const context = await signedIn(user);
  await before(context.fake);
  const rendered = render(Transfer, {}, context);
  await settle();
  return rendered;
}

/** Submits the form around the element `testid` (a button or a field), as Enter does. */
function submit(root: ParentNode, testid: string) {
  const form = byTestId(root, testid).closest('form');
  if (!form) throw new Error(`no form around ${testid}`);
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

const text = (root: ParentNode, testid: string) => byTestId(root, testid).textContent ?? '';

/** The field vault paired as "Field laptop" in the stand-in, as an admin's pairing leaves it. */
function paired(fake: Fake) {
  fake.state.transfer.peers.push({
    vault_id: FIELD,
    name: 'Field laptop',
    fingerprint: 'B7E1 04C9 5A3D 22F0',
    paired_at: new Date().toISOString(),
    paired_by: 'ana',
    sent_bundles: 0,
    acknowledged_to: 0,
    received_bundle: 0,
    open_conflicts: 0,
  });
}

function bundle(fields: Partial<FakeBundle> = {}): FakeBundle {
  return {
    from_vault: FIELD,
    bundle: 1,
    to_seq: 120,
    counts: { ...emptyCounts(), patients: 2, encounters: 1 },
    outcome: outcome({ added: 3 }),
    ...fields,
  };
}

function phoneConflict(patient: Patient): Conflict {
  return {
    id: 'c-1',
    kind: 'edited_on_both_sides',
    record: 'patient',
    record_id: patient.id,
    patient_id: patient.id,
    human_id: patient.human_id,
    patient_name: `${patient.given_name} ${patient.family_name}`,
    from_vault: FIELD,
    from_name: 'Field laptop',
    received_at: new Date().toISOString(),
    differences: [{ field: 'phone', ours: '+258 84 111 2222', theirs: '+258 84 999 0000' }],
    matches: [],
    resolved_at: null,
    resolved_by: null,
    resolution: null,
  };
}

describe('the Transfer screen', () => {
  it('is offered to those who may send or pair, and shows pairing to admins only', async () => {
    for (const [user, shown] of [
      ['ana', true],
      ['rui', true],
      ['eva', false],
    ] as const) {
      const context = await signedIn(user);
      const { target, destroy } = render(Shell, {}, context);
      await settle();
      expect(target.querySelector('[data-testid="nav-transfer"]') !== null, user).toBe(shown);
      destroy();
    }
    const { target } = await transferScreen('rui');
    expect(target.querySelector('[data-testid="transfer-identity"]')).toBeNull();
    expect(target.querySelector('[data-testid="transfer-pair"]')).toBeNull();
    for (const section of ['transfer-send', 'transfer-receive', 'transfer-receipt']) {
      byTestId(target, section);
    }
    expect(text(target, 'transfer-peers-none')).toContain('An administrator pairs it.');
  });

  it('shows this vault’s fingerprint and QR code, and saves the identity to a file', async () => {
    const { target, fake } = await transferScreen();
    await until(() =>
      expect(text(target, 'transfer-fingerprint')).toContain('3F2A 9C41 07BD E5A8'),
    );
    expect(byTestId<HTMLImageElement>(target, 'transfer-identity-qr').src).toMatch(
      /^data:image\/svg\+xml/,
    );

    // The system's save window answers a place: the identity is saved there at once.
    const choose = byTestId(target, 'transfer-identity').querySelector<HTMLButtonElement>(
      '[data-testid="file-choose"]',
    );
    choose?.click();
    await until(() => byTestId(target, 'transfer-identity-saved'));
    const file = `${STICK}/tessera-0190a1b2.identity`;
    expect(text(target, 'transfer-identity-saved')).toContain(file);
    expect(fake.state.transfer.files.get(file)).toBe('TS1:VAULT-CLINIC\n');
    expect(document.activeElement).toBe(byTestId(target, 'transfer-identity-saved'));

    // A typed path that holds someone's document is refused at the field, which keeps focus.
    fake.state.transfer.files.set('/home/ana/letter.txt', 'Dear Dr Silva');
    typeInto(target, 'transfer-identity-file', '/home/ana/letter.txt');
    submit(target, 'transfer-identity-save');
    await until(() =>
      expect(document.getElementById('transfer-identity-file-error')?.textContent).toContain(
        'is there already and is not a Tessera file',
      ),
    );
    expect(document.activeElement?.id).toBe('transfer-identity-file');
    expect(fake.state.transfer.files.get('/home/ana/letter.txt')).toBe('Dear Dr Silva');
  });

  it('pairs: the other vault’s fingerprint to compare, the cursor in the name, then Pair', async () => {
    const { target, fake } = await transferScreen();
    // The system's window chooses the file; the keyboard is then on the button that reads it.
    byTestId(target, 'transfer-pair')
      .querySelector<HTMLButtonElement>('[data-testid="file-choose"]')
      ?.click();
    await until(() =>
      expect(byTestId<HTMLInputElement>(target, 'transfer-pair-file').value).toBe(
        `${STICK}/field.identity`,
      ),
    );
    expect(document.activeElement).toBe(byTestId(target, 'transfer-pair-read'));
    submit(target, 'transfer-pair-read');

    await until(() => byTestId(target, 'transfer-pair-check'));
    expect(text(target, 'transfer-pair-fingerprint')).toContain('B7E1 04C9 5A3D 22F0');
    expect(text(target, 'transfer-pair-check')).toContain('Compare it, group by group');
    // The name is where the user types next.
    expect(document.activeElement?.id).toBe('transfer-pair-name');
    expect(fake.state.transfer.peers).toEqual([]);

    // No name: said at the field, which keeps the cursor; nothing is paired.
    submit(target, 'transfer-pair-submit');
    await settle();
    expect(document.getElementById('transfer-pair-name-error')?.textContent).toBe(
      'Give that vault a name.',
    );
    expect(document.activeElement?.id).toBe('transfer-pair-name');
    expect(fake.calls).not.toContain('transfer_pair');

    typeInto(target, 'transfer-pair-name', '  Field laptop 2 ');
    submit(target, 'transfer-pair-submit');
    await until(() => byTestId(target, 'transfer-pair-done'));
    expect(text(target, 'transfer-pair-done')).toContain('Paired with Field laptop 2.');
    expect(document.activeElement).toBe(byTestId(target, 'transfer-pair-done'));
    expect(fake.state.transfer.peers.map((p) => p.name)).toEqual(['Field laptop 2']);
    await until(() => expect(allByTestId(target, 'transfer-peer')).toHaveLength(1));
    const peer = byTestId(target, 'transfer-peer');
    expect(peer.textContent).toContain('Field laptop 2');
    expect(text(peer, 'transfer-peer-fingerprint')).toBe('B7E1 04C9 5A3D 22F0');
    expect(text(peer, 'transfer-peer-confirmed')).toContain('Nothing yet');
    // Send now offers it.
    expect(byTestId<HTMLSelectElement>(target, 'transfer-send-to').value).toBe(FIELD);
  });

  it('refuses a file that is not an identity in words, and pairs from a scanned code', async () => {
    const { target, fake } = await transferScreen();
    fake.state.transfer.files.set(`${STICK}/other.identity`, 'TS1:SOMETHING-ELSE');
    typeInto(target, 'transfer-pair-file', `${STICK}/other.identity`);
    submit(target, 'transfer-pair-read');
    await until(() => byTestId(target, 'transfer-pair-error'));
    expect(text(target, 'transfer-pair-error')).toContain('This is not a vault’s identity');
    expect(text(target, 'transfer-pair-error')).toContain('Not paired.');

    // A missing file is said at the field.
    typeInto(target, 'transfer-pair-file', `${STICK}/gone.identity`);
    submit(target, 'transfer-pair-read');
    await until(() =>
      expect(document.getElementById('transfer-pair-file-error')?.textContent).toContain(
        'No such file',
      ),
    );

    // The camera reads the other screen's code.
    fake.state.scanText = 'TS1:VAULT-FIELD';
    byTestId(target, 'transfer-pair-camera-toggle').click();
    await until(() => byTestId(target, 'camera-toggle'));
    await until(() =>
      expect(byTestId<HTMLButtonElement>(target, 'camera-toggle').disabled).toBe(false),
    );
    byTestId(target, 'camera-toggle').click();
    await until(() => byTestId(target, 'transfer-pair-check'));
    expect(text(target, 'transfer-pair-fingerprint')).toContain('B7E1 04C9 5A3D 22F0');
    expect(document.activeElement?.id).toBe('transfer-pair-name');
  });

  it('writes a bundle for a paired vault, in parts when asked, and says what it holds', async () => {
    const { target: screen, fake } = await transferScreen('rui', paired);
    await until(() => byTestId(screen, 'transfer-send-to'));
    selectOption(screen, 'transfer-send-to', FIELD);

    // Nothing typed: said at the folder field, which takes the cursor.
    submit(screen, 'transfer-send-submit');
    await settle();
    expect(document.activeElement?.id).toBe('transfer-send-folder');

    byTestId(screen, 'transfer-send')
      .querySelector<HTMLButtonElement>('[data-testid="folder-choose"]')
      ?.click();
    await until(() =>
      expect(byTestId<HTMLInputElement>(screen, 'transfer-send-folder').value).toBe(STICK),
    );
    typeInto(screen, 'transfer-send-split', 'a lot');
    submit(screen, 'transfer-send-submit');
    await settle();
    expect(document.getElementById('transfer-send-split-error')?.textContent).toContain(
      'whole number of megabytes',
    );

    // Held half-way: the progress says how many photo files are written.
    let release = () => {};
    fake.transferStep = () => new Promise<void>((resolve) => (release = resolve));
    typeInto(screen, 'transfer-send-split', '1');
    submit(screen, 'transfer-send-submit');
    await until(() => byTestId(screen, 'transfer-send-progress'));
    release();
    await until(() =>
      expect(text(screen, 'transfer-send-progress-text')).toBe('1 of 2 photo files'),
    );
    release();
    await until(() => byTestId(screen, 'transfer-send-done'));
    const files = allByTestId(screen, 'transfer-send-file').map((f) => f.textContent);
    expect(files).toHaveLength(3);
    expect(files[0]).toMatch(/tessera-0190a1b2-to-0190a1b2-0001\.tbundle\.001$/);
    expect(text(screen, 'transfer-send-done')).toContain('Bundle 1 for Field laptop is written.');
    expect(text(screen, 'transfer-send-holds')).toContain(
      '2 patients; 3 visits; 1 narrative; 2 photos',
    );
    expect(document.activeElement).toBe(byTestId(screen, 'transfer-send-done'));
    await until(() => expect(text(screen, 'transfer-peer-sent')).toBe('1'));
  });

  it('takes in a bundle: what it did in words, the receipt beside it and as a QR code', async () => {
    const { target, fake } = await transferScreen();
    paired(fake);
    const patient = await fake.patientCreate({
      profile: { given_name: 'Inês', family_name: 'Lopes', status: 'active' },
      not_duplicate: true,
    });
    fake.state.transfer.bundles.set(
      `${STICK}/b.tbundle.001`,
      bundle({
        outcome: outcome({ added: 3, updated: 1, unchanged: 4, conflicts: 1 }),
        conflicts: [phoneConflict(patient)],
      }),
    );
    // Any part will do: the others are found beside it.
    typeInto(target, 'transfer-receive-file', `${STICK}/b.tbundle.002`);
    submit(target, 'transfer-receive-submit');
    await until(() => byTestId(target, 'transfer-receive-done'));
    const done = text(target, 'transfer-receive-done');
    expect(done).toContain('Bundle 1 from Field laptop is taken in.');
    for (const line of [
      '3 records added',
      '1 record replaced by a newer version',
      '4 records already here',
      '1 record changed on both sides: choose which version to keep under “Conflicts”',
    ]) {
      expect(done).toContain(line);
    }
    const receipt = `${STICK}/b.tbundle.receipt`;
    expect(text(target, 'transfer-receive-receipt-file')).toContain(receipt);
    expect(fake.state.transfer.files.get(receipt)).toMatch(/^TS1:RCPT-/);
    expect(byTestId<HTMLImageElement>(target, 'transfer-receive-receipt-qr').alt).toBe(
      'QR code of the receipt for Field laptop',
    );
    expect(document.activeElement).toBe(byTestId(target, 'transfer-receive-done'));
    // The conflict it brought is listed, said at the top, and one key press away.
    await until(() => expect(allByTestId(target, 'transfer-conflict')).toHaveLength(1));
    await until(() =>
      expect(text(target, 'transfer-conflicts-waiting')).toContain(
        '1 conflict waits for a person to settle it.',
      ),
    );
    byTestId(target, 'transfer-receive-to-conflicts').click();
    expect(document.activeElement?.id).toBe('transfer-conflicts-title');

    // Again: nothing changes, and it says so; the receipt is written again all the same.
    fake.state.transfer.bundles.set(
      `${STICK}/b.tbundle.001`,
      bundle({ note: 'everything in bundle 1 from Field laptop is here already' }),
    );
    submit(target, 'transfer-receive-submit');
    await until(() =>
      expect(byTestId(target, 'transfer-receive-done').dataset.applied).toBe('false'),
    );
    expect(text(target, 'transfer-receive-done')).toContain(
      'Nothing was changed: everything in bundle 1 from Field laptop is here already',
    );
  });

  it('says why a refused or damaged bundle was not taken in, in words', async () => {
    const { target, fake } = await transferScreen();
    paired(fake);
    const reason =
      'bundle 3 from Field laptop starts after changes this vault has not received: import Field laptop’s earlier bundle first (after number 1), or ask for a new bundle';
    fake.state.transfer.bundles.set(
      `${STICK}/late.tbundle`,
      bundle({ bundle: 3, refused: { reason: 'gap', message: reason } }),
    );
    typeInto(target, 'transfer-receive-file', `${STICK}/late.tbundle`);
    submit(target, 'transfer-receive-submit');
    await until(() => byTestId(target, 'transfer-receive-error'));
    const refusal = text(target, 'transfer-receive-error');
    expect(refusal).toContain('Nothing was taken in.');
    expect(refusal).toContain('An earlier bundle from the same vault has not been taken in here');
    expect(refusal).not.toContain('bundle_refused');
    // Core's text, naming the vault and the numbers, is kept for support.
    expect(text(target, 'transfer-receive-error-details')).toContain(reason);

    // From a vault this one is not paired with.
    fake.state.transfer.bundles.set(
      `${STICK}/stranger.tbundle`,
      bundle({ from_vault: '0190ffff-0000-7000-8000-000000000000' }),
    );
    typeInto(target, 'transfer-receive-file', `${STICK}/stranger.tbundle`);
    submit(target, 'transfer-receive-submit');
    await until(() =>
      expect(text(target, 'transfer-receive-error')).toContain(
        'It comes from a vault this one is not paired with.',
      ),
    );

    // Damaged: our words, the backend's under "Details for support".
    fake.state.transfer.bundles.set(
      `${STICK}/cut.tbundle.001`,
      bundle({ damaged: 'part 2 ends before the bundle does' }),
    );
    typeInto(target, 'transfer-receive-file', `${STICK}/cut.tbundle.001`);
    submit(target, 'transfer-receive-submit');
    await until(() =>
      expect(text(target, 'transfer-receive-error')).toContain('The file is damaged or incomplete'),
    );
    expect(text(target, 'transfer-receive-error-details')).toContain('part 2 ends before');
    expect(fake.state.transfer.files.has(`${STICK}/cut.tbundle.receipt`)).toBe(false);

    // No file there.
    typeInto(target, 'transfer-receive-file', `${STICK}/nothing.tbundle`);
    submit(target, 'transfer-receive-submit');
    await until(() =>
      expect(text(target, 'transfer-receive-error')).toContain(
        'Check that the stick is plugged in',
      ),
    );
  });

  it('says when the receipt could not be saved on the stick, and still shows its code', async () => {
    const { target, fake } = await transferScreen();
    paired(fake);
    fake.state.transfer.bundles.set(`${STICK}/b.tbundle`, bundle());
    fake.state.transfer.readOnlyFolders.push(STICK);
    typeInto(target, 'transfer-receive-file', `${STICK}/b.tbundle`);
    submit(target, 'transfer-receive-submit');
    await until(() => byTestId(target, 'transfer-receive-receipt-problem'));
    expect(text(target, 'transfer-receive-receipt-problem')).toContain('Read-only file system');
    byTestId(target, 'transfer-receive-receipt-qr');
  });

  it('takes in a receipt from its file', async () => {
    const { target, fake } = await transferScreen();
    paired(fake);
    fake.state.transfer.files.set(`${STICK}/b.tbundle.receipt`, `TS1:RCPT-${FIELD}-57\n`);
    typeInto(target, 'transfer-receipt-file', `${STICK}/b.tbundle.receipt`);
    submit(target, 'transfer-receipt-read');
    await until(() => byTestId(target, 'transfer-receipt-done'));
    expect(text(target, 'transfer-receipt-done')).toContain(
      'The receipt from Field laptop is taken in',
    );
    expect(document.activeElement).toBe(byTestId(target, 'transfer-receipt-done'));
    await until(() =>
      expect(text(target, 'transfer-peer-confirmed')).toBe(
        'Everything up to change 57 of this vault',
      ),
    );
    // The same again confirms nothing new.
    submit(target, 'transfer-receipt-read');
    await until(() =>
      expect(text(target, 'transfer-receipt-done')).toContain('confirms nothing new'),
    );
    // Not a receipt: refused in words.
    fake.state.transfer.files.set(`${STICK}/x.receipt`, 'TS1:NOPE');
    typeInto(target, 'transfer-receipt-file', `${STICK}/x.receipt`);
    submit(target, 'transfer-receipt-read');
    await until(() =>
      expect(text(target, 'transfer-receipt-error')).toContain('The receipt was not taken in.'),
    );
  });

  it('settles a conflict with the side chosen, after asking, and reads the list again', async () => {
    let patient: Patient | undefined;
    const { target, fake } = await transferScreen('rui', async (fake) => {
      paired(fake);
      patient = await fake.patientCreate({
        profile: {
          given_name: 'Inês',
          family_name: 'Lopes',
          phone: '+258 84 111 2222',
          status: 'active',
        },
        not_duplicate: true,
      });
      fake.state.transfer.conflicts.push(phoneConflict(patient));
    });
    if (!patient) throw new Error('no patient');
    const { id } = patient;
    await until(() => byTestId(target, 'transfer-conflict'));
    const line = byTestId(target, 'transfer-conflict');
    expect(line.textContent).toContain('Inês Lopes');
    expect(line.textContent).toContain(patient.human_id);
    expect(line.textContent).toContain('The profile changed on both sides');
    expect(line.textContent).toContain('From Field laptop');

    const open = byTestId<HTMLButtonElement>(line, 'transfer-conflict-open');
    expect(open.getAttribute('aria-expanded')).toBe('false');
    open.click();
    await settle();
    expect(open.getAttribute('aria-expanded')).toBe('true');
    const row = byTestId(target, 'transfer-conflict-difference');
    expect(row.querySelector('th')?.textContent).toBe('Phone');
    expect(text(row, 'transfer-conflict-ours')).toBe('+258 84 111 2222');
    expect(text(row, 'transfer-conflict-theirs')).toBe('+258 84 999 0000');
    const heads = [...byTestId(target, 'transfer-conflict-table').querySelectorAll('thead th')];
    expect(heads.map((h) => h.textContent)).toEqual([
      'Detail',
      'This vault',
      'Other vault (Field laptop)',
    ]);
    expect(line.textContent).toContain('choose the closer one, then edit the record as usual');

    // Asked first; Back returns to the choice; nothing is settled.
    byTestId(target, 'transfer-conflict-take-theirs').click();
    await settle();
    expect(text(target, 'transfer-conflict-question')).toContain(
      'Take the version from Field laptop?',
    );
    expect(document.activeElement).toBe(byTestId(target, 'transfer-conflict-confirm'));
    byTestId(target, 'transfer-conflict-back').click();
    await settle();
    expect(document.activeElement).toBe(byTestId(target, 'transfer-conflict-take-theirs'));
    expect(fake.calls).not.toContain('transfer_conflict_resolve');

    byTestId(target, 'transfer-conflict-take-theirs').click();
    await settle();
    byTestId(target, 'transfer-conflict-confirm').click();
    await until(() => byTestId(target, 'transfer-conflicts-done'));
    expect(text(target, 'transfer-conflicts-done')).toContain(
      `Settled for Inês Lopes (${patient.human_id}): the other vault’s version taken.`,
    );
    expect(document.activeElement).toBe(byTestId(target, 'transfer-conflicts-done'));
    expect(fake.state.transfer.conflicts[0]?.resolution).toBe('took_theirs');
    expect(fake.state.transfer.conflicts[0]?.resolved_by).toBe('rui');
    expect(fake.state.patients.find((p) => p.id === id)?.phone).toBe('+258 84 999 0000');
    await until(() => byTestId(target, 'transfer-conflicts-none'));
    await until(() =>
      expect(target.querySelector('[data-testid="transfer-conflicts-waiting"]')).toBeNull(),
    );

    // Settled ones on request, with how.
    byTestId<HTMLInputElement>(target, 'transfer-conflicts-all').click();
    await until(() => byTestId(target, 'transfer-conflict-settled'));
    expect(text(target, 'transfer-conflict-settled')).toContain('Settled by rui on');
  });

  it('settles a possible duplicate as different people, pointing to merging for the same person', async () => {
    const { target, fake } = await transferScreen();
    paired(fake);
    const here = await fake.patientCreate({
      profile: { given_name: 'Ana', family_name: 'Mussa', status: 'active' },
      not_duplicate: true,
    });
    const theirs = await fake.patientCreate({
      profile: { given_name: 'Ana', family_name: 'Musa', status: 'active' },
      not_duplicate: true,
    });
    fake.state.transfer.conflicts.push({
      ...phoneConflict(theirs),
      id: 'c-dup',
      kind: 'possible_duplicate',
      differences: [],
      matches: [here.id],
    });
    byTestId<HTMLInputElement>(target, 'transfer-conflicts-all').click();
    await until(() => byTestId(target, 'transfer-conflict'));
    expect(text(target, 'transfer-conflict')).toContain('Possibly someone already here');
    byTestId(target, 'transfer-conflict-open').click();
    await settle();
    expect(text(target, 'transfer-conflict')).toContain('Merge a duplicate into this record…');
    expect(text(target, 'transfer-conflict-open-match')).toBe('Open the record already here');
    expect(target.querySelector('[data-testid="transfer-conflict-keep-ours"]')).toBeNull();
    byTestId(target, 'transfer-conflict-different').click();
    await settle();
    byTestId(target, 'transfer-conflict-confirm').click();
    await until(() => byTestId(target, 'transfer-conflicts-done'));
    expect(fake.state.transfer.conflicts[0]?.resolution).toBe('different_people');
  });
});
