/**
 * Named errors: each class has a fixed `name` so Step Functions `ErrorEquals`, metrics and the CLI's exit
 * codes can tell them apart after serialisation.
 */

/** One precise problem in a plans file: where it is, and what is wrong and allowed. */
export interface PlanIssue {
  file: string;
  line?: number;
  column?: number;
  planId?: string;
  /** Dotted field path inside the plan (or the file, when planId is absent), e.g. `retention.tiers.daily`. */
  path: string;
  message: string;
}

export function formatPlanIssue(issue: PlanIssue): string {
  const where = issue.line ? `${issue.file}:${issue.line}${issue.column ? `:${issue.column}` : ''}` : issue.file;
  const plan = issue.planId ? ` plan "${issue.planId}"` : '';
  const field = issue.path ? ` ${issue.path}:` : '';
  return `${where}:${plan}${field} ${issue.message}`;
}

export class PlanValidationError extends Error {
  override readonly name = 'PlanValidationError';
  constructor(readonly issues: readonly PlanIssue[]) {
    super(
      `${issues.length} problem${issues.length === 1 ? '' : 's'} in the backup plans; nothing was changed:\n` +
        issues.map((issue) => `  - ${formatPlanIssue(issue)}`).join('\n'),
    );
  }
}

/** An entry point received input of the wrong shape (scheduler payload, event, drill input, CLI argument). */
export class BadInputError extends Error {
  override readonly name = 'BadInputError';
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(details.length ? `${message}: ${details.join('; ')}` : message);
  }
}

export class UnknownPlanError extends Error {
  override readonly name = 'UnknownPlanError';
  constructor(
    readonly planId: string,
    known: readonly string[],
  ) {
    super(`no plan "${planId}" in the backup plans (known plans: ${known.join(', ') || 'none'})`);
  }
}
