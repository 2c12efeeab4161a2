/**
 * Pure helpers of the Retention screen: the policy as a form and back, the checks made
 * before it is saved (core's limits, so the admin hears of a problem at the field), and the
 * labels of a report's rules and items.
 */
import type {
  ErasureReport,
  RetentionAction,
  RetentionPolicy,
  RetentionReport,
  RuleKind,
  RuleReport,
} from './bindings';
import type { MessageKey, Params } from './i18n';

/** The shortest time audit entries are kept (core's `AUDIT_MIN_YEARS`). */
export const AUDIT_MIN_YEARS = 6;
/** The longest period a rule may name, in years (core's `MAX_YEARS`). */
export const MAX_YEARS = 200;
/** The bin's restore window: binned items are kept at least this long (core's default). */
export const MIN_BINNED_DAYS = 30;
export const MAX_BINNED_DAYS = 36_500;

/** The rules with a period in years and an action. */
export const YEAR_RULES = ['inactive_patients', 'photos', 'narratives', 'encounters'] as const;
export type YearRule = (typeof YEAR_RULES)[number];

/** Photos and narratives can only be deleted: nothing would be left to keep. */
export function anonymiseAllowed(rule: YearRule): boolean {
  return rule === 'inactive_patients' || rule === 'encounters';
}

export type RuleForm = { on: boolean; years: string; action: RetentionAction };
export type RetentionForm = Record<YearRule, RuleForm> & {
  audit: { on: boolean; years: string };
  bin: { on: boolean; days: string };
};

/** Periods offered when a rule that was off is turned on. */
const OFFERED_YEARS: Record<YearRule, number> = {
  inactive_patients: 10,
  photos: 10,
  narratives: 10,
  encounters: 10,
};

/**
 * What a rule turned on does by default: anonymise where core allows it (it loses less: the
 * record stays, without what identifies the person), else delete. A saved rule keeps its own.
 */
export function offeredAction(rule: YearRule): RetentionAction {
  return anonymiseAllowed(rule) ? 'anonymise' : 'delete';
}

export function policyForm(policy: RetentionPolicy): RetentionForm {
  const rule = (name: YearRule): RuleForm => {
    const r = policy[name];
    return r
      ? { on: true, years: String(r.years), action: r.action }
      : { on: false, years: String(OFFERED_YEARS[name]), action: offeredAction(name) };
  };
  return {
    inactive_patients: rule('inactive_patients'),
    photos: rule('photos'),
    narratives: rule('narratives'),
    encounters: rule('encounters'),
    audit: {
      on: policy.audit_entries_years !== null,
      years: String(policy.audit_entries_years ?? AUDIT_MIN_YEARS),
    },
    bin: {
      on: policy.binned_days !== null,
      days: String(policy.binned_days ?? MIN_BINNED_DAYS),
    },
  };
}

function whole(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

export type PolicyField = YearRule | 'audit' | 'bin';
export type PolicyProblem = { key: MessageKey; params?: Params };

/** What is wrong with each field that is on, by field; empty when the form can be saved. */
export function policyProblems(form: RetentionForm): Partial<Record<PolicyField, PolicyProblem>> {
  const problems: Partial<Record<PolicyField, PolicyProblem>> = {};
  for (const name of YEAR_RULES) {
    const r = form[name];
    if (r.on && whole(r.years, 1, MAX_YEARS) === null) {
      problems[name] = { key: 'retention.error.years', params: { max: MAX_YEARS } };
    }
  }
  if (form.audit.on && whole(form.audit.years, AUDIT_MIN_YEARS, MAX_YEARS) === null) {
    problems.audit = {
      key: 'retention.error.auditYears',
      params: { min: AUDIT_MIN_YEARS, max: MAX_YEARS },
    };
  }
  if (form.bin.on && whole(form.bin.days, MIN_BINNED_DAYS, MAX_BINNED_DAYS) === null) {
    problems.bin = {
      key: 'retention.error.binDays',
      params: { min: MIN_BINNED_DAYS, max: MAX_BINNED_DAYS },
    };
  }
  return problems;
}

/** The policy a checked form stands for. */
export function policyFrom(form: RetentionForm): RetentionPolicy {
  const rule = (name: YearRule) => {
    const r = form[name];
    if (!r.on) return null;
    return {
      years: Number(r.years.trim()),
      action: anonymiseAllowed(name) ? r.action : ('delete' as const),
    };
  };
  return {
    inactive_patients: rule('inactive_patients'),
    photos: rule('photos'),
    narratives: rule('narratives'),
    encounters: rule('encounters'),
    audit_entries_years: form.audit.on ? Number(form.audit.years.trim()) : null,
    binned_days: form.bin.on ? Number(form.bin.days.trim()) : null,
  };
}

/** The heading of a rule in a report. */
export const RULE_LABEL: Record<RuleKind, MessageKey> = {
  binned_patients: 'retention.rule.binned_patients',
  inactive_patients: 'retention.rule.inactive_patients',
  binned_photos: 'retention.rule.binned_photos',
  photos: 'retention.rule.photos',
  narratives: 'retention.rule.narratives',
  encounters: 'retention.rule.encounters',
  audit_entries: 'retention.rule.audit_entries',
};

/** "2 patients", "1 photo": what a rule counts. */
const COUNT: Record<RuleKind, MessageKey> = {
  binned_patients: 'retention.count.patients',
  inactive_patients: 'retention.count.patients',
  binned_photos: 'retention.count.photos',
  photos: 'retention.count.photos',
  narratives: 'retention.count.narratives',
  encounters: 'retention.count.encounters',
  audit_entries: 'retention.count.audit_entries',
};

/** "in the bin since before {date}": what the cutoff means for a rule. */
const CUTOFF: Record<RuleKind, MessageKey> = {
  binned_patients: 'retention.cutoff.binned',
  inactive_patients: 'retention.cutoff.inactive_patients',
  binned_photos: 'retention.cutoff.binned',
  photos: 'retention.cutoff.photos',
  narratives: 'retention.cutoff.narratives',
  encounters: 'retention.cutoff.encounters',
  audit_entries: 'retention.cutoff.audit_entries',
};

export function countOf(rule: RuleReport): PolicyProblem {
  return { key: COUNT[rule.rule], params: { count: rule.count } };
}

export function cutoffOf(rule: RuleReport, date: string): PolicyProblem {
  return { key: CUTOFF[rule.rule], params: { date } };
}

/** What happens to a rule's records: patients are erased, audit entries removed. */
export function actionOf(rule: RuleReport): MessageKey {
  if (rule.rule === 'audit_entries') return 'retention.action.remove';
  if (rule.action === 'anonymise') return 'retention.action.anonymise';
  return rule.rule === 'binned_patients' || rule.rule === 'inactive_patients'
    ? 'retention.action.erase'
    : 'retention.action.delete';
}

/** How many records the report touches in all. */
export function reportTotal(report: RetentionReport): number {
  return report.rules.reduce((sum, r) => sum + r.count, 0);
}

/** Items listed inline up to this many; more go behind a disclosure. */
export const INLINE_ITEMS = 5;

/** The lines of the notice after an erasure: what was removed or kept, by count. */
export function erasureNotice(report: ErasureReport): {
  title: MessageKey;
  items: PolicyProblem[];
} {
  const items: PolicyProblem[] = [
    {
      key: report.mode === 'anonymise' ? 'erase.count.visitsAnonymised' : 'erase.count.visits',
      params: { count: report.encounters },
    },
    { key: 'erase.count.photos', params: { count: report.photos } },
  ];
  // Visits and photos are always told; narratives and consents when there were some.
  if (report.narratives > 0) {
    items.push({ key: 'erase.count.narratives', params: { count: report.narratives } });
  }
  if (report.consents > 0) {
    items.push({ key: 'erase.count.consents', params: { count: report.consents } });
  }
  // Export log entries when there were some (the exported files are beyond the vault's reach).
  if (report.export_log_entries > 0) {
    items.push({ key: 'erase.count.exports', params: { count: report.export_log_entries } });
  }
  // Duplicates merged into the record (still in the bin) go with it when there were some.
  if (report.merged_records > 0) {
    items.push({ key: 'erase.count.mergedRecords', params: { count: report.merged_records } });
  }
  items.push({
    key: 'erase.count.auditRedacted',
    params: { count: report.audit_entries_redacted },
  });
  if (report.audit_entries_not_redactable > 0) {
    items.push({
      key: 'erase.count.notRedactable',
      params: { count: report.audit_entries_not_redactable },
    });
  }
  return {
    title: report.mode === 'anonymise' ? 'erase.done.anonymise' : 'erase.done.delete',
    items,
  };
}
