/** Translated names of the closed sets (roles, statuses, kinds, …). */
import type { PatientStatus } from './bindings';
import { t } from './i18n';
import { STATUSES } from './profileForm';
import type { FormProblem } from './visitForm';

export function statusLabel(status: string): string {
  return (STATUSES as readonly string[]).includes(status)
    ? t(`status.${status as PatientStatus}`)
    : status;
}

/** The translated problem for `field`, if any. */
export function problemFor(problems: FormProblem[], field: string): string | undefined {
  const p = problems.find((x) => x.field === field);
  return p ? t(p.key, p.params) : undefined;
}
