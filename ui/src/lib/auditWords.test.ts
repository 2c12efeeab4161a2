import { describe, expect, it } from 'vitest';

import type { AuditRecord } from './bindings';
import { POLICY } from './bindings/policy';
import {
  aboutWords,
  actionWords,
  actorWords,
  hasActionWords,
  OTHER_AUDIT_ACTIONS,
  resourceWords,
  staffNames,
} from './auditWords';

const record = (fields: Partial<AuditRecord> = {}): AuditRecord => ({
  seq: 1,
  at: '2026-03-01T09:00:00Z',
  actor_id: 'staff-ana',
  actor: 'ana',
  session_id: '0190a8c4-5f1e-7b2a-9c3d-4e5f6a7b8c9d',
  action: 'patient.view',
  resource_type: 'patient',
  resource_id: '0190a8c4-0000-7000-8000-000000000001',
  before: null,
  after: null,
  reason: null,
  ...fields,
});

const names = staffNames([
  {
    id: 'staff-ana',
    username: 'ana',
    display_name: 'Ana Souza',
    role: 'admin',
    status: 'active',
    created_at: '2026-01-01T00:00:00Z',
    disabled_at: null,
    must_change_password: false,
  },
  {
    id: 'staff-rui',
    username: 'rui',
    display_name: 'Rui Lopes',
    role: 'clinician',
    status: 'active',
    created_at: '2026-01-01T00:00:00Z',
    disabled_at: null,
    must_change_password: false,
  },
]);

// Core's sources, read as text: the audit actions it records by name.
const rust = import.meta.glob('../../../crates/core/src/**/*.rs', {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

function recordedByCore(): Set<string> {
  const found = new Set<string>();
  const patterns = [
    // Policy actions, by their names in the audit log.
    /Action::\w+ => "([a-z_]+\.[a-z_]+)"/g,
    // Entries recorded under names of their own.
    /(?:record_as|commit_audited)\(\s*"([a-z_]+\.[a-z_]+)"/g,
    /=> "(auth\.[a-z_]+)"/g,
    /ACTION: &str = "([a-z_]+\.[a-z_]+)"/g,
  ];
  for (const text of Object.values(rust)) {
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) if (m[1]) found.add(m[1]);
    }
    // What the retention policy did to a record: `retention.delete`, `retention.anonymise`.
    if (text.includes('format!("retention.{}", rule.action.as_str())')) {
      found.add('retention.delete');
      found.add('retention.anonymise');
    }
  }
  return found;
}

describe('the audit log in words', () => {
  it('has words for every action of the policy and every other action core records', () => {
    const policy = new Set(Object.values(POLICY).flat());
    expect(policy.size).toBeGreaterThan(40);
    for (const action of [...policy, ...OTHER_AUDIT_ACTIONS]) {
      expect(hasActionWords(action), action).toBe(true);
      expect(actionWords(action, 'en'), action).not.toBe(action);
      expect(actionWords(action, 'fr'), action).not.toBe(action);
    }
    expect(actionWords('patient.view', 'en')).toBe('Viewed a patient record');
    expect(actionWords('backup.run', 'en')).toBe('Ran the configured backup');
    expect(actionWords('patient.view', 'fr')).toBe('A consulté un dossier patient');
    expect(actionWords('patient.merge', 'en')).toBe('Merged a duplicate patient record');
    expect(actionWords('patient.unmerge', 'en')).toBe('Undid the merge of a patient record');
  });

  it('knows every audit action named in core’s sources', () => {
    const named = recordedByCore();
    // The sources are there (the UI is tested inside the repository).
    expect(named.has('patient.view')).toBe(true);
    expect(named.has('auth.login_failed')).toBe(true);
    expect(named.has('access.denied')).toBe(true);
    expect([...named].filter((action) => !hasActionWords(action))).toEqual([]);
  });

  it('shows an unknown action as its code', () => {
    expect(actionWords('future.thing', 'en')).toBe('future.thing');
    expect(hasActionWords('future.thing')).toBe(false);
    expect(resourceWords('future_kind', 'fr')).toBe('future_kind');
  });

  it('names the actor by their full name, else their user name, and the recovery key', () => {
    expect(actorWords(record(), names, 'en')).toBe('Ana Souza');
    expect(actorWords(record({ actor_id: null, actor: 'rui' }), names, 'en')).toBe('Rui Lopes');
    expect(actorWords(record({ actor_id: 'gone', actor: 'old.user' }), names, 'en')).toBe(
      'old.user',
    );
    expect(actorWords(record(), staffNames([]), 'en')).toBe('ana');
    expect(actorWords(record({ actor_id: null, actor: 'recovery-key' }), names, 'fr')).toBe(
      'Clé de récupération',
    );
  });

  it('says what the entry is about without ids', () => {
    expect(aboutWords(record(), names, 'en')).toBe('Patient record');
    expect(aboutWords(record({ action: 'patient.search', resource_id: null }), names, 'en')).toBe(
      '',
    );
    // The check for likely duplicates before a registration is a search of its own.
    const duplicateCheck = record({
      action: 'patient.search',
      resource_id: null,
      after: { duplicates_of: 'registration', results: 1 },
    });
    expect(aboutWords(duplicateCheck, names, 'en')).toBe('Checked for duplicates at registration');
    expect(aboutWords(duplicateCheck, names, 'fr')).toBe(
      'Recherche de doublons à l’enregistrement',
    );
    expect(aboutWords(record({ resource_type: 'vault', resource_id: null }), names, 'en')).toBe(
      'Vault',
    );
    expect(aboutWords(record({ resource_type: 'session', resource_id: 'abc' }), names, 'en')).toBe(
      'Session',
    );
    expect(
      aboutWords(record({ resource_type: 'staff', resource_id: 'staff-rui' }), names, 'fr'),
    ).toBe('Compte du personnel\u00a0: Rui Lopes');
    expect(
      aboutWords(
        record({ action: 'access.denied', resource_type: 'action', resource_id: 'backup.run' }),
        names,
        'en',
      ),
    ).toBe('Refused: Ran the configured backup');
  });
});
