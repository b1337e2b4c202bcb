import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';

const EXAMPLE = join(import.meta.dirname, '../../../backup-plans.yml');
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:backup-orchestrator-prod-notifications';

describe('backup-orchestrator report', () => {
  it('lists report and its options in the help', async () => {
    const result = await runCli(['--help']);

    expect(result.stdout).toContain('backup-orchestrator report');
    for (const option of ['[--send]', '[--topic <arn>]', '[--activity-table <name>]']) expect(result.stdout).toContain(option);
  });

  it.each([
    [['report', 'now'], {}, 'error: unknown command "report now": use "report [--send] [--json]"; see --help'],
    [['report', '--send'], {}, 'error: report --send needs the topic to publish to: pass --topic <arn> or set NOTIFICATION_TOPIC_ARN (the stack output NotificationsTopicArn)'],
    [['report', '--topic', TOPIC], {}, 'error: --topic is only used with --send: add --send to publish the report, or leave --topic out to print it'],
    [['report', '--send', '--topic', 'backup-alerts'], {}, 'error: "backup-alerts" is not an SNS topic ARN: e.g. arn:aws:sns:eu-west-1:123456789012:backup-orchestrator-prod-notifications'],
    [['report', '--send'], { NOTIFICATION_TOPIC_ARN: 'https://sns.example/topic' }, 'error: "https://sns.example/topic" is not an SNS topic ARN'],
    [['report', '--at', 'this morning'], {}, 'error: --at "this morning" is not a time: use ISO-8601, e.g. 2026-11-26T15:00:00Z'],
    [['report', '--region', 'mars-1'], {}, 'error: --region "mars-1" is not an AWS Region: e.g. eu-west-1'],
    [['report', '--endpoint', 'localhost:5000'], {}, 'error: --endpoint "localhost:5000" is not an http(s) URL: e.g. http://127.0.0.1:5000 for a local moto_server'],
    [['report', '--plans', '/nonexistent/plans.yml'], {}, 'error: cannot read the plans file /nonexistent/plans.yml: ENOENT'],
    [['report'], { REPORT_TIMEZONE: 'Mars/Olympus' }, 'error: REPORT_TIMEZONE "Mars/Olympus" is not an IANA timezone: e.g. REPORT_TIMEZONE=Europe/Paris'],
  ])('refuses %j with a precise message and exit code 2, before any AWS call', async (argv, env, message) => {
    // An endpoint nothing listens on: any AWS call would fail with exit code 1, not 2.
    const defaults = [...(argv.includes('--plans') ? [] : ['--plans', EXAMPLE]), ...(argv.includes('--endpoint') ? [] : ['--endpoint', 'http://127.0.0.1:9'])];

    const result = await runCli([...argv, ...defaults], env);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.startsWith(message)).toBe(true);
  });
});
