import { describe, expect, it } from 'vitest';

import {
  durationLabel,
  formatAccessCode,
  readDeskInput,
  refusalMessage,
  svgDataUrl,
  timeLeft,
} from './access';
import type { ApiError } from './backend';
import { createFakeBackend } from './testing/fakeBackend';

describe('access helpers', () => {
  it('shows a code in two groups of three', () => {
    expect(formatAccessCode('123456')).toBe('123 456');
    expect(formatAccessCode('12345')).toBe('12345');
  });

  it('reads a typed code (spaces and dashes allowed), a scanned QR, or neither', () => {
    expect(readDeskInput('  ')).toEqual({ kind: 'empty' });
    expect(readDeskInput('123 456')).toEqual({ kind: 'code', code: '123456' });
    expect(readDeskInput('123-456')).toEqual({ kind: 'code', code: '123456' });
    expect(readDeskInput('12345')).toEqual({ kind: 'digits' });
    expect(readDeskInput(' TS1:ABC%12 \n')).toEqual({ kind: 'token', token: 'TS1:ABC%12' });
    expect(readDeskInput('ts1:ABC')).toEqual({ kind: 'token', token: 'TS1:ABC' });
    expect(readDeskInput('hello')).toEqual({ kind: 'unknown' });
  });

  it('names durations and time left in the largest unit', () => {
    expect(durationLabel(4)).toEqual({ key: 'access.duration.hours', params: { count: 4 } });
    expect(durationLabel(72)).toEqual({ key: 'access.duration.days', params: { count: 3 } });
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(timeLeft('2026-01-01T00:30:00Z', now).key).toBe('access.left.minutes');
    expect(timeLeft('2026-01-01T05:00:00Z', now).params).toEqual({ count: 5 });
    expect(timeLeft('2026-01-08T00:00:00Z', now)).toEqual({
      key: 'access.left.days',
      params: { count: 7 },
    });
  });

  it('words each refusal and leaves other errors alone', () => {
    const refused = (reason: string, extra: Partial<ApiError> = {}): ApiError => ({
      code: 'access_refused',
      message: reason,
      reason,
      ...extra,
    });
    expect(refusalMessage(refused('revoked'))?.key).toBe('desk.refused.revoked');
    expect(refusalMessage(refused('too_many_attempts', { retry_after_secs: 12 }))).toEqual({
      key: 'desk.refused.too_many_attempts',
      params: { count: 12 },
    });
    expect(refusalMessage(refused('something new'))?.key).toBe('desk.refused.malformed');
    expect(refusalMessage({ code: 'denied', message: 'no' })).toBeNull();
  });

  it('makes the QR an image address the CSP allows (data:)', () => {
    expect(svgDataUrl('<svg xmlns="http://www.w3.org/2000/svg"/>')).toMatch(
      /^data:image\/svg\+xml;charset=utf-8,%3Csvg/,
    );
  });
});

describe('access grants in the stand-in', () => {
  async function withPatient() {
    const fake = createFakeBackend({
      users: [
        { username: 'ana', password: 'correct horse battery', role: 'admin' },
        { username: 'eva', password: 'front desk secret', role: 'front_desk' },
      ],
    });
    await fake.sessionUnlock({ username: 'ana', password: 'correct horse battery' });
    const patient = await fake.patientCreate({
      profile: {
        given_name: 'Zoë',
        family_name: 'Dubois',
        status: 'active',
        medical_alerts: ['Epilepsy'],
        phone: '+33 1 23 45 67 89',
      },
      not_duplicate: true,
    });
    return { fake, patient };
  }

  it('issues a 6-digit code and a TS1: card that open only the granted sections', async () => {
    const { fake, patient } = await withPatient();
    const issued = await fake.accessGrant({
      patient: patient.id,
      permissions: ['emergency'],
      hours: 4,
    });
    expect(issued.code).toMatch(/^\d{6}$/);
    expect(issued.card.token.startsWith('TS1:')).toBe(true);
    expect(issued.card.qr_svg).toMatch(/^<svg /);
    const view = await fake.accessOpenCode({ code: formatAccessCode(issued.code) });
    expect(view.patient.family_name).toBe('Dubois');
    expect(view.emergency?.medical_alerts).toEqual(['Epilepsy']);
    expect(view.profile).toBeNull();
    expect(view.visits).toBeNull();
    const again = await fake.accessOpenToken({ token: issued.card.token });
    expect(again.grant.uses).toBe(2);
    expect(await fake.accessCard({ grant_id: issued.grant.id })).toEqual(issued.card);
  });

  it('refuses revoked, expired, wrong, altered and foreign codes with their reason', async () => {
    const { fake, patient } = await withPatient();
    const issued = await fake.accessGrant({
      patient: patient.id,
      permissions: ['profile'],
      hours: 1,
    });
    await fake.accessRevoke({ grant_id: issued.grant.id });
    await expect(fake.accessOpenCode({ code: issued.code })).rejects.toEqual({
      code: 'access_refused',
      message: 'this access grant was revoked',
      reason: 'revoked',
    });
    await expect(fake.accessRevoke({ grant_id: issued.grant.id })).rejects.toMatchObject({
      code: 'conflict',
    });
    const other = await fake.accessGrant({
      patient: patient.id,
      permissions: ['profile'],
      hours: 1,
    });
    const stored = fake.state.grants.find((x) => x.grant.id === other.grant.id);
    if (stored) stored.grant.expires_at = new Date(Date.now() - 1000).toISOString();
    await expect(fake.accessOpenToken({ token: other.card.token })).rejects.toMatchObject({
      reason: 'expired',
      message: 'this access grant has expired',
    });
    await expect(
      fake.accessOpenToken({ token: `${other.card.token.slice(0, -1)}Z` }),
    ).rejects.toMatchObject({ reason: 'bad_signature' });
    await expect(fake.accessOpenToken({ token: 'TS1:ELSEWHERE' })).rejects.toMatchObject({
      reason: 'unknown_key',
    });
    await expect(fake.accessOpenToken({ token: 'hello' })).rejects.toMatchObject({
      reason: 'malformed',
    });
    expect((await fake.accessList({ patient: patient.id })).map((g) => g.status)).toEqual([
      'expired',
      'revoked',
    ]);
  });

  it('waits 30 seconds after five wrong codes', async () => {
    const { fake } = await withPatient();
    for (let i = 0; i < 5; i++) {
      await expect(fake.accessOpenCode({ code: '000000' })).rejects.toMatchObject({
        reason: 'wrong_code',
      });
    }
    await expect(fake.accessOpenCode({ code: '000000' })).rejects.toMatchObject({
      reason: 'too_many_attempts',
      retry_after_secs: 30,
    });
  });

  it('lets the front desk open codes but not give access', async () => {
    const { fake, patient } = await withPatient();
    const issued = await fake.accessGrant({
      patient: patient.id,
      permissions: ['emergency', 'photos'],
      hours: 24,
    });
    const photo = fake.addPhoto(patient.id);
    await fake.sessionUnlock({ username: 'eva', password: 'front desk secret' });
    await expect(
      fake.accessGrant({ patient: patient.id, permissions: ['emergency'], hours: 1 }),
    ).rejects.toMatchObject({ code: 'denied' });
    await expect(fake.accessList({ patient: patient.id })).rejects.toMatchObject({
      code: 'denied',
    });
    const view = await fake.accessOpenCode({ code: issued.code, patient: patient.human_id });
    expect(view.photos?.map((p) => p.id)).toEqual([photo.id]);
    expect(fake.photoUrl(photo.id, 'thumb', issued.grant.id)).not.toMatch(/^data:,refused/);
    expect(fake.photoUrl(photo.id, 'original', issued.grant.id)).toMatch(/^data:,refused/);
  });
});
