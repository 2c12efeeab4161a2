import { describe, expect, it } from 'vitest';

import type { Profile } from './bindings';
import { emptyProfileForm, formToProfile, profileProblems, profileToForm } from './profileForm';

const full: Profile = {
  given_name: 'Zoë',
  family_name: 'Dubois',
  preferred_name: 'Zo',
  date_of_birth: '1990-07-14',
  sex: 'female',
  phone: '06 01 02 03 04',
  location: 'Lyon',
  preferred_language: 'fr',
  blood_type: 'O-',
  organ_donor: false,
  allergies: [
    { substance: 'penicillin' },
    { substance: 'latex', reaction: 'hives', severity: 'moderate' },
  ],
  chronic_conditions: ['asthma'],
  medications: [
    { name: 'salbutamol', dose: '100 µg', frequency: 'as needed', prescriber: 'Dr Roux' },
  ],
  emergency_contacts: [
    { name: 'Luc Dubois', phone: '06 99 88 77 66', relationship: 'brother', primary: true },
  ],
  insurance: { provider: 'CPAM', policy_number: '1 90 07 69', group_number: 'G-7' },
  medical_alerts: ['DNR'],
  communication: {
    channel: 'sms',
    interpreter_needed: false,
    may_leave_messages: true,
    notes: 'after 5pm',
  },
  status: 'active',
};

describe('profile form', () => {
  it('gives back every field of the profile it was opened with', () => {
    expect(formToProfile(profileToForm(full))).toEqual(full);
  });

  it('leaves out blank fields and blank rows, and trims texts', () => {
    const form = emptyProfileForm();
    form.given_name = '  José ';
    form.family_name = 'Núñez';
    form.phone = '   ';
    form.allergies.push({ substance: '', reaction: '', severity: '' });
    form.chronic_conditions.push('', ' diabetes ');
    form.insurance_provider = '';
    expect(formToProfile(form)).toEqual({
      given_name: 'José',
      family_name: 'Núñez',
      chronic_conditions: ['diabetes'],
      status: 'active',
    });
  });

  it('keeps a minimal profile minimal', () => {
    const minimal: Profile = { given_name: 'A', family_name: 'B', status: 'inactive' };
    expect(formToProfile(profileToForm(minimal))).toEqual(minimal);
  });

  it('records an organ donor answer and communication flags', () => {
    const form = emptyProfileForm();
    form.given_name = 'A';
    form.family_name = 'B';
    form.organ_donor = 'yes';
    form.interpreter_needed = true;
    expect(formToProfile(form)).toMatchObject({
      organ_donor: true,
      communication: { interpreter_needed: true, may_leave_messages: false },
    });
  });

  it('names the fields the backend would refuse', () => {
    const form = emptyProfileForm();
    form.date_of_birth = '2099-01-01';
    form.emergency_contacts.push(
      { name: 'Luc', phone: '', relationship: '', primary: true },
      { name: 'Ana', phone: '123', relationship: '', primary: true },
    );
    form.medications.push({ name: '', dose: '5 mg', frequency: '', prescriber: '' });
    form.insurance_policy_number = 'X1';
    const fields = profileProblems(form, '2026-03-01').map((p) => `${p.field}:${p.key}`);
    expect(fields).toEqual([
      'given_name:form.required',
      'family_name:form.required',
      'date_of_birth:profile.error.future',
      'medications-0-name:form.required',
      'emergency_contacts-0-phone:profile.error.contactPhone',
      'emergency_contacts:profile.error.onePrimary',
      'insurance_provider:profile.error.insuranceProvider',
    ]);
    form.date_of_birth = '14/07/1990';
    expect(profileProblems(form, '2026-03-01').map((p) => p.key)).toContain('profile.error.date');
  });
});
