/**
 * What the UI offers to each role. The backend decides (and audits refusals); this only
 * hides what would be refused. Mirrors the policy table in docs/architecture.md.
 */
import type { Role } from './bindings';

export type Capability =
  | 'patient.create'
  | 'patient.open'
  | 'patient.edit'
  | 'encounter.record'
  | 'narrative.write'
  | 'photo.view'
  | 'photo.manage'
  | 'staff.manage'
  | 'audit.read'
  | 'settings.auto_lock'
  | 'backup.view'
  | 'backup.manage'
  | 'retention.manage'
  | 'patient.erase'
  | 'patient.subject_export';

const CLINICAL: readonly Capability[] = [
  'patient.create',
  'patient.open',
  'patient.edit',
  'encounter.record',
  'narrative.write',
  'photo.view',
  'photo.manage',
  // See the history and status, back up now, verify a file (core: backup.create, backup.list).
  'backup.view',
];

const TABLE: Record<Role, readonly Capability[]> = {
  // Restore, the schedule and pruning (core: backup.restore, backup.manage).
  // Erasure, the subject access export and retention (core: patient.erase,
  // patient.subject_export, retention.manage).
  admin: [
    ...CLINICAL,
    'staff.manage',
    'audit.read',
    'settings.auto_lock',
    'backup.manage',
    'retention.manage',
    'patient.erase',
    'patient.subject_export',
  ],
  clinician: CLINICAL,
  social_worker: CLINICAL,
  front_desk: ['patient.create'],
};

export function can(role: Role | null | undefined, capability: Capability): boolean {
  return role ? TABLE[role].includes(capability) : false;
}
