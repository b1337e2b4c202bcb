/**
 * `backup-orchestrator report`: the daily report, now, from the operator's machine. The same use case and
 * rendering as the scheduled report function; prints the email text (or the JSON form) and, with --send,
 * publishes both forms to the notifications topic.
 */
import { paginateListTables } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient, snsClient, type ClientSettings } from '../shared/aws/clients.js';
import { publishNotification } from '../shared/aws/notifications.js';
import { reportSources } from '../shared/aws/report-sources.js';
import { renderDailyReport, type DailyReport } from '../shared/domain/daily-report.js';
import { BadInputError } from '../shared/domain/errors.js';
import type { PlansConfig } from '../shared/domain/plan-schema.js';
import { ConfigurationError } from '../shared/runtime/environment.js';
import { reportSettings } from '../shared/runtime/report-settings.js';
import { gatherDailyReport } from '../shared/use-cases/daily-report.js';

export interface ReportRequest {
  config: PlansConfig;
  stack: string;
  now: Date;
  env: NodeJS.ProcessEnv;
  endpoint?: string;
  /** The run log's table: given, else found by the name CloudFormation gives it (`<stack>-ActivityTable-…`). */
  activityTable?: string;
  /** Progress lines (stderr), none in --json mode. */
  progress?: (line: string) => void;
}

export interface ReportOutcome {
  report: DailyReport;
  activityTable?: string;
}

/** The stack's run log: CloudFormation names an unnamed table `<stack>-<logical id>-<suffix>`. */
async function findActivityTable(settings: ClientSettings, stack: string): Promise<string | undefined> {
  const prefix = `${stack}-ActivityTable-`;
  const found: string[] = [];
  for await (const page of paginateListTables({ client: dynamoDbClient(settings) }, {})) found.push(...(page.TableNames ?? []).filter((name) => name.startsWith(prefix)));
  return found.length === 1 ? found[0] : undefined;
}

export async function runReport(request: ReportRequest): Promise<ReportOutcome> {
  let settings: ReturnType<typeof reportSettings>;
  try {
    settings = reportSettings(request.env);
  } catch (error) {
    if (error instanceof ConfigurationError) throw new BadInputError(error.message, ['e.g. REPORT_TIMEZONE=Europe/Paris']);
    throw error;
  }
  const primary: ClientSettings = { region: request.config.primaryRegion, ...(request.endpoint ? { endpoint: request.endpoint } : {}) };
  const activityTable = request.activityTable ?? (await findActivityTable(primary, request.stack));
  const regions = [...new Set([request.config.primaryRegion, ...request.config.plans.flatMap((plan) => plan.copies.map((copy) => copy.region))])];
  request.progress?.(`reading the recovery points of ${request.stack} in ${regions.join(', ')}${activityTable ? ` and the run log ${activityTable}` : ''}…`);
  const input = await gatherDailyReport({
    stack: request.stack,
    config: request.config,
    now: request.now,
    timezone: settings.timezone,
    settings: settings.report,
    ...reportSources({ stack: request.stack, primaryRegion: request.config.primaryRegion, ...(request.endpoint ? { endpoint: request.endpoint } : {}), ...(activityTable ? { activityTable } : {}) }),
  });
  if (!activityTable) {
    input.warnings.push(
      `the run log (DynamoDB table ${request.stack}-ActivityTable-…) was not found, so the last 24 hours and the drills are missing: pass --activity-table <name> or set ACTIVITY_TABLE (the stack output ActivityTableName)`,
    );
  }
  return { report: renderDailyReport(input, { maxTextBytes: 100_000, maxJsonBytes: 100_000 }), ...(activityTable ? { activityTable } : {}) };
}

/** Publishes the report's two forms to the topic, as the scheduled report does; returns the message id. */
export async function sendReport(report: DailyReport, topicArn: string, settings: ClientSettings): Promise<string | undefined> {
  return publishNotification(snsClient(settings), topicArn, { subject: report.subject, text: report.text, json: report.json });
}
