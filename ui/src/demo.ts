/**
 * The UI in a plain browser against the in-memory stand-in backend (`npm run dev`, then open
 * /demo.html). For trying screens and for UI-level end-to-end tests; never built into the
 * app. `?setup` starts without a vault. `window.tesseraDemo.emitLocked('inactivity')`
 * simulates an auto-lock. Zoë has shared her emergency information and medications for three
 * days: `tesseraDemo.state.grants[0].code` (or `.token`) opens it on the Desk screen, and so
 * do the stand-in camera and any image opened there (`tesseraDemo.state.scanText`,
 * `.imageTexts`; `.cameras = []` for a desk without a camera). Zoë's summary was exported to
 * /media/usb/zoe-summary.pdf: Verify finds it genuine (and any PNG or JPEG path holds its
 * seal), a path with "forged" in it not; `tesseraDemo.sealFor(id)` is the text a camera reads
 * on its printed pages (set it as `.scanText` to check it on the Verify screen).
 * `tesseraDemo.state.vaultDamaged = true` refuses sign-in as a damaged vault does; a backup
 * made before then can be restored from the sign-in screen. Léa (`lea`, "first password")
 * must choose her own password when she signs in; the recovery key on the sign-in screen is
 * `tesseraDemo.state.recoveryKey`. José Núñez is registered twice (once as Jose Nunez): an
 * admin merges the two on either chart, and registering him (or Zoë) again is warned about.
 * Zoë's consents show a history (photography given, then withdrawn), and ana keeps a private
 * narrative on her (sign in as `rui`, "another long secret", and it is not there). On the
 * Staff screen Rui's life support certification expires in 12 days and Léa's expired 3 days
 * ago. "Choose…" beside a folder answers `tesseraDemo.state.chosenFolder`
 * (/media/usb/TESSERA; null as when the chooser is cancelled).
 */
import { mount } from 'svelte';

// The global styles first, so each component's own styles come after them.
import './app.css';
import App from './App.svelte';
import { POLICY } from './lib/bindings/policy';
import { addDays, localDate } from './lib/format';
import { createFakeBackend } from './lib/testing/fakeBackend';

const fake = createFakeBackend({ vaultExists: !location.search.includes('setup') });

async function seed() {
  fake.state.session = {
    username: 'ana',
    role: 'admin',
    auto_lock_minutes: 5,
    permissions: [...POLICY.admin],
    upgrade: null,
    must_change_password: false,
  };
  const zoe = await fake.patientCreate({
    profile: {
      given_name: 'Zoë',
      family_name: 'Dubois',
      date_of_birth: '1990-07-14',
      sex: 'female',
      phone: '06 01 02 03 04',
      allergies: [{ substance: 'latex', reaction: 'hives', severity: 'severe' }],
      medical_alerts: ['DNR'],
      status: 'active',
    },
    not_duplicate: true,
  });
  await fake.patientCreate({
    profile: {
      given_name: 'José',
      family_name: 'Núñez',
      date_of_birth: '1984-03-09',
      status: 'active',
    },
    not_duplicate: true,
  });
  // José registered a second time, without the accents: an admin can merge the two records.
  const jose = await fake.patientCreate({
    profile: {
      given_name: 'Jose',
      family_name: 'Nunez',
      date_of_birth: '1984-03-09',
      phone: '07 11 22 33 44',
      status: 'active',
    },
    not_duplicate: true,
  });
  await fake.encounterAdd({
    patient: jose.id,
    encounter: {
      occurred_at: '2026-02-20',
      kind: 'visit',
      reason: 'Cough',
      diagnoses: [],
      treatments: [],
      vitals: {},
    },
  });
  const readings: [string, number, number, number][] = [
    ['2026-01-05', 150, 95, 88],
    ['2026-01-19', 142, 92, 84],
    ['2026-02-02', 138, 88, 80],
    ['2026-02-16', 131, 84, 76],
  ];
  for (const [date, sys, dia, pulse] of readings) {
    await fake.encounterAdd({
      patient: zoe.id,
      encounter: {
        occurred_at: date,
        kind: 'visit',
        reason: 'Blood pressure follow-up',
        diagnoses: ['hypertension'],
        treatments: ['amlodipine 5 mg'],
        vitals: { bp_systolic: sys, bp_diastolic: dia, pulse },
      },
    });
  }
  await fake.narrativeAdd({
    patient: zoe.id,
    title: 'First week',
    body: 'Slept through the night.',
    private: false,
  });
  const heel = fake.addPhoto(zoe.id, {
    caption: 'Left heel, day 1',
    taken_at: '2026-02-02T09:15:00',
    camera_make: 'Apple',
    camera_model: 'iPhone 13',
    source_name: 'IMG_0412.jpg',
    imported_at: '2026-02-02T10:00:00Z',
  });
  fake.addPhoto(zoe.id, {
    width: 900,
    height: 1200,
    taken_at: '2026-02-09T09:20:00',
    source_name: 'IMG_0450.jpg',
    imported_at: '2026-02-09T10:00:00Z',
  });
  fake.addPhoto(zoe.id, {
    caption: 'Dressing change',
    privacy: 'private',
    imported_at: '2026-02-10T10:00:00Z',
  });
  await fake.narrativeAdd({
    patient: zoe.id,
    title: 'Wound check',
    body: 'The heel is healing well; no redness.',
    photo_id: heel.id,
    private: false,
  });
  // ana's own note, private: only she and the other admins read it.
  await fake.narrativeAdd({
    patient: zoe.id,
    title: 'Housing',
    body: 'Asked not to share her address with her former partner.',
    private: true,
  });
  // Zoë's consents: photography given, then withdrawn; research given.
  for (const [purpose, status, notes, daysAgo] of [
    ['photography', 'granted', 'Signed form scanned.', 40],
    ['research', 'granted', null, 30],
    ['photography', 'withdrawn', 'Asked in person to stop.', 3],
  ] as const) {
    const { id } = await fake.consentRecord({ patient: zoe.id, purpose, status, notes });
    const stored = fake.state.consents.find((c) => c.id === id);
    if (stored) stored.recorded_at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  }
  const shared = await fake.accessGrant({
    patient: zoe.id,
    permissions: ['emergency', 'medications'],
    hours: 72,
  });
  // The stand-in camera "sees" Zoë's card; an opened image holds it too.
  fake.state.scanText = shared.card.token;
  fake.state.imageTexts = [shared.card.token];
  // An exported summary: the Exports screen lists it, and Verify finds the file genuine.
  await fake.exportWrite({
    patient: zoe.id,
    kind: 'summary',
    format: 'pdf',
    out: '/media/usb/zoe-summary.pdf',
    csv_bom: false,
    unencrypted: true,
    on_progress: () => {},
  });
  // A colleague added by ana, who must choose her own password when she first signs in.
  await fake.staffAdd({
    username: 'lea',
    display_name: 'Léa Martin',
    role: 'clinician',
    password: 'first password',
  });
  // Credentials: Rui's life support certification expires in 12 days, Léa's expired 3 days
  // ago; the Staff screen says so at its top and on their rows.
  const inDays = (days: number) => addDays(localDate(), days);
  await fake.credentialSet({
    username: 'rui',
    credentials: {
      licence_number: 'OM-48213',
      specialisations: ['General practice'],
      certifications: [
        {
          name: 'Basic Life Support',
          issuer: 'European Resuscitation Council',
          issued_on: inDays(-718),
          expires_on: inDays(12),
        },
      ],
      affiliations: ['Casa Aberta'],
      verification: 'verified',
    },
    expected_version: null,
  });
  await fake.credentialSet({
    username: 'lea',
    credentials: {
      specialisations: ['Wound care'],
      certifications: [{ name: 'Advanced Life Support', expires_on: inDays(-3) }],
      affiliations: [],
      verification: 'unverified',
    },
    expected_version: null,
  });
  fake.state.session = null;
}

await seed();
(window as unknown as { tesseraDemo: typeof fake }).tesseraDemo = fake;

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');
mount(App, { target, props: { backend: fake } });
