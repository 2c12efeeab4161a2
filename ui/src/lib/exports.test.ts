import { describe, expect, it } from 'vitest';

import {
  exportArgs,
  exportProblems,
  extensionOf,
  genuineMessage,
  kindLabel,
  kindsFor,
  notGenuineReason,
  rangeLabel,
  refusedField,
  shortSha,
  stageLabel,
  suggestedPath,
  withoutField,
  type ExportForm,
} from './exports';
import { translate } from './i18n';

const form = (fields: Partial<ExportForm> = {}): ExportForm => ({
  kind: 'summary',
  format: 'pdf',
  from: '',
  to: '',
  referralTo: '',
  purpose: '',
  csvBom: false,
  encryption: 'none',
  passphrase: '',
  repeat: '',
  recipient: '',
  unencrypted: true,
  path: '~/TS-7K3M-9Q2X-summary.pdf',
  ...fields,
});

describe('the file name suggested', () => {
  it('names the patient and the kind, with the format’s extension', () => {
    expect(suggestedPath('TS-7K3M-9Q2X', 'summary', 'pdf', false)).toBe(
      '~/TS-7K3M-9Q2X-summary.pdf',
    );
    expect(suggestedPath('TS-7K3M-9Q2X', 'full', 'json', false)).toBe('~/TS-7K3M-9Q2X-full.json');
    // CSV tables come in a zip file.
    expect(suggestedPath('TS-7K3M-9Q2X', 'referral', 'csv', false)).toBe(
      '~/TS-7K3M-9Q2X-referral.zip',
    );
    expect(extensionOf('csv')).toBe('zip');
  });

  it('ends in .age when the file is encrypted', () => {
    expect(suggestedPath('TS-7K3M-9Q2X', 'full', 'pdf', true)).toBe('~/TS-7K3M-9Q2X-full.pdf.age');
    expect(suggestedPath('TS-7K3M-9Q2X', 'summary', 'csv', true)).toBe(
      '~/TS-7K3M-9Q2X-summary.zip.age',
    );
  });
});

describe('the stages in words', () => {
  it('says what the export is doing, and that it encrypts when it does', () => {
    expect(translate('en', stageLabel('reading'))).toBe('Reading the record…');
    expect(translate('en', stageLabel('formatting'))).toBe('Preparing the document…');
    expect(translate('en', stageLabel('writing'))).toBe('Writing the file…');
    expect(translate('en', stageLabel('writing', true))).toBe('Encrypting and writing the file…');
    expect(translate('fr', stageLabel('reading'))).toBe('Lecture du dossier…');
  });
});

describe('the kinds offered', () => {
  it('leaves the referral letter out for roles without export.record', () => {
    expect(kindsFor(true)).toEqual(['summary', 'full', 'referral']);
    expect(kindsFor(false)).toEqual(['summary', 'full']);
  });

  it('names every kind, and passes an unknown one on', () => {
    expect(kindLabel('referral')).toBe('exports.kind.referral');
    expect(kindLabel('subject_access')).toBe('exports.kind.subject_access');
    expect(kindLabel('letter')).toBeNull();
  });
});

describe('the export form’s checks', () => {
  it('asks for an explicit choice when the file is not encrypted', () => {
    expect(exportProblems(form({ unencrypted: false }))).toEqual({
      unencrypted: { key: 'exports.error.chooseEncryption' },
    });
    expect(exportProblems(form({ unencrypted: true }))).toEqual({});
  });

  it('checks the passphrase (at its fields) or the age key when encrypting', () => {
    const encrypted = { encryption: 'passphrase' as const, unencrypted: false };
    expect(exportProblems(form({ ...encrypted, passphrase: 'short', repeat: 'short' }))).toEqual({
      passphrase: { key: 'backups.error.passphraseShort', params: { min: 12 } },
    });
    expect(
      exportProblems(
        form({ ...encrypted, passphrase: 'correct horse battery', repeat: 'correct horse' }),
      ),
    ).toEqual({ repeat: { key: 'backups.error.passphraseMismatch' } });
    expect(
      exportProblems(
        form({
          ...encrypted,
          passphrase: 'correct horse battery',
          repeat: 'correct horse battery',
        }),
      ),
    ).toEqual({});
    expect(exportProblems(form({ encryption: 'recipient', recipient: 'age2xyz' }))).toEqual({
      recipient: { key: 'backups.error.recipient' },
    });
  });

  it('wants a full path, real dates in order, and a referral’s addressee and purpose', () => {
    expect(exportProblems(form({ path: 'exports/x.pdf' })).path?.key).toBe(
      'backups.error.pathNotFull',
    );
    expect(exportProblems(form({ from: '2026-02-30' })).from?.key).toBe('exports.error.date');
    expect(exportProblems(form({ from: '2026-03-31', to: '2026-03-01' })).to?.key).toBe(
      'exports.error.rangeOrder',
    );
    expect(exportProblems(form({ from: '2026-03-01', to: '2026-03-01' }))).toEqual({});
    expect(exportProblems(form({ kind: 'referral', referralTo: '  ' }))).toEqual({
      referralTo: { key: 'exports.error.referralTo' },
      purpose: { key: 'exports.error.purpose' },
    });
  });
});

describe('the arguments sent', () => {
  it('sends only what the choices ask for', () => {
    const args = exportArgs(
      'p1',
      form({
        kind: 'referral',
        format: 'csv',
        csvBom: true,
        referralTo: ' Dr A. Mwangi ',
        purpose: ' Wound care ',
        from: '2026-01-01',
        encryption: 'passphrase',
        passphrase: 'correct horse battery',
        unencrypted: true,
        path: ' ~/x.zip.age ',
      }),
    );
    expect(args).toEqual({
      patient: 'p1',
      kind: 'referral',
      format: 'csv',
      out: '~/x.zip.age',
      from: '2026-01-01',
      to: null,
      referral: { to: 'Dr A. Mwangi', purpose: 'Wound care' },
      csv_bom: true,
      passphrase: 'correct horse battery',
      recipient: null,
      // A ticked box left behind does not count once encryption is chosen.
      unencrypted: false,
    });
    const plain = exportArgs('p1', form({ format: 'pdf', csvBom: true, referralTo: 'x' }));
    expect(plain.referral).toBeNull();
    expect(plain.csv_bom).toBe(false);
    expect(plain.unencrypted).toBe(true);
    expect(plain.passphrase).toBeNull();
  });
});

describe('refusals', () => {
  it('puts a refusal at its field, without the field’s name before it', () => {
    const exists = { code: 'conflict' as const, message: '/home/x.pdf already exists' };
    expect(refusedField(exists, 'summary', 'none')).toBe('path');
    const range = {
      code: 'invalid' as const,
      field: 'to',
      message: 'to: the range ends before it begins',
    };
    expect(refusedField(range, 'referral', 'none')).toBe('to');
    const addressee = {
      code: 'invalid' as const,
      field: 'to',
      message: 'to: say whom the referral is addressed to',
    };
    expect(refusedField(addressee, 'referral', 'none')).toBe('referralTo');
    expect(withoutField(addressee)).toBe('say whom the referral is addressed to');
    expect(refusedField({ code: 'denied', message: 'no' }, 'summary', 'none')).toBeNull();
    expect(
      refusedField({ code: 'invalid', field: 'kind', message: 'x' }, 'summary', 'none'),
    ).toBeNull();
    // "Give a passphrase or …" goes where the choice is made.
    const key = { code: 'invalid' as const, field: 'passphrase', message: 'passphrase: give…' };
    expect(refusedField(key, 'summary', 'none')).toBe('unencrypted');
    expect(refusedField(key, 'summary', 'passphrase')).toBe('passphrase');
    expect(refusedField(key, 'summary', 'recipient')).toBe('recipient');
  });
});

describe('verification in words', () => {
  it('says how a genuine document was checked', () => {
    expect(translate('en', genuineMessage('document'))).toBe(
      'Genuine: this document is exactly as the vault exported it.',
    );
    expect(translate('en', genuineMessage('seal'))).toContain('A photo cannot prove');
    expect(translate('en', genuineMessage('file'))).toBe(
      'Genuine: this file is exactly as the vault exported it.',
    );
  });

  it('tells the whole reason something is not genuine, without repeating "not genuine"', () => {
    expect(notGenuineReason('not genuine: its content was changed after it was exported')).toBe(
      'Its content was changed after it was exported',
    );
    expect(notGenuineReason('the file is damaged')).toBe('The file is damaged');
    expect(notGenuineReason('not genuine: ')).toBe('not genuine:');
  });

  it('shortens a SHA-256 to 16 digits', () => {
    expect(shortSha('ab'.repeat(32))).toBe(`${'ab'.repeat(8)}…`);
    expect(shortSha('abc')).toBe('abc');
  });

  it('says the dates an export was limited to', () => {
    expect(rangeLabel({ from: null, to: null }, 'en')).toBeNull();
    const both = rangeLabel({ from: '2026-03-09', to: '2026-03-31' }, 'en');
    expect(both && translate('en', both.key, both.params)).toBe('9 Mar 2026 to 31 Mar 2026');
    const from = rangeLabel({ from: '2026-03-09', to: null }, 'fr');
    expect(from && translate('fr', from.key, from.params)).toBe('à partir du 9 mars 2026');
  });
});
