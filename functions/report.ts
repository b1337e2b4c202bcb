import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { snsClient } from '../shared/aws/clients.js';
import { publishNotification } from '../shared/aws/notifications.js';
import { reportSources } from '../shared/aws/report-sources.js';
import { renderDailyReport, rpoMetrics, type DailyReport } from '../shared/domain/daily-report.js';
import { parseReportRun } from '../shared/domain/report-run-event.js';
import { ConfigurationError, readEnvironment } from '../shared/runtime/environment.js';
import { lambdaStack } from '../shared/runtime/lambda-stack.js';
import { createObservability } from '../shared/runtime/observability.js';
import { loadPlans } from '../shared/runtime/plans.js';
import { gatherDailyReport } from '../shared/use-cases/daily-report.js';
import { reportSettings } from '../shared/runtime/report-settings.js';

const observability = createObservability('report');
const { logger, metrics } = observability;
const plans = loadPlans();
const env = readEnvironment();
const settings = reportSettings();
const primary = { region: plans.primaryRegion, ...(env.endpoint ? { endpoint: env.endpoint } : {}) };
const sources = reportSources({ ...env, primaryRegion: plans.primaryRegion });

export interface ReportResult {
  subject: string;
  headline: string;
  problems: number;
  truncated: boolean;
  messageId?: string;
  report: DailyReport;
}

export const handler = lambdaStack(observability, async (event: unknown): Promise<ReportResult> => {
  const run = parseReportRun(event);
  if (run.send && !settings.topicArn) throw new ConfigurationError('NOTIFICATION_TOPIC_ARN is not set: the report has nowhere to go');
  const input = await gatherDailyReport({
    stack: env.stack,
    config: plans,
    now: run.scheduledTime,
    timezone: settings.timezone,
    settings: settings.report,
    ...sources,
  });
  const report = renderDailyReport(input, { maxTextBytes: 100_000, maxJsonBytes: 100_000 });
  // The alarms watch the same classification as the email: deleted resources and new ones are not breaches.
  for (const plan of rpoMetrics(input)) {
    const planMetrics = metrics.singleMetric();
    planMetrics.addDimension('plan', plan.planId);
    planMetrics.addMetric('RpoBreaches', MetricUnit.Count, plan.breaches);
    if (plan.oldestPrimaryAgeMs !== undefined) planMetrics.addMetric('RpoAgeSeconds', MetricUnit.Seconds, Math.round(plan.oldestPrimaryAgeMs / 1000));
  }
  metrics.addMetric('ReportProblems', MetricUnit.Count, report.problems);
  const messageId =
    run.send && settings.topicArn
      ? await publishNotification(snsClient(primary), settings.topicArn, { subject: report.subject, text: report.text, json: report.json })
      : undefined;
  logger.info('daily report', { headline: report.headline, problems: report.problems, truncated: report.truncated, sent: Boolean(messageId) });
  return { subject: report.subject, headline: report.headline, problems: report.problems, truncated: report.truncated, ...(messageId ? { messageId } : {}), report };
});
