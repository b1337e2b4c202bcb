/**
 * A single crashed or timed-out invocation of an idempotent drill step (here the CheckRestoreReady poll, which
 * runs hundreds of times during a long database restore) is retried, as Cleanup is, instead of failing the drill.
 * The real statemachines/restore-drill.asl.json runs in aws-local-stepfunctions; every Task is a stub.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type RunOptions } from 'aws-local-stepfunctions';
import { bindDefinition, runExecution, type TaskHandler } from '../../sandbox/step-functions.js';
import { CLIENT_TIMEOUTS } from '../../shared/aws/clients.js';
import { ROOT } from '../support/package-stack.js';

const ASL_FILE = join(ROOT, 'statemachines/restore-drill.asl.json');
const SUBSTITUTIONS = Object.fromEntries(
  [
    'DrillValidateInputFunctionArn',
    'DrillSelectRecoveryPointFunctionArn',
    'DrillRestoreFunctionArn',
    'DrillCheckRestoreFunctionArn',
    'DrillValidateRestoreFunctionArn',
    'DrillCleanupFunctionArn',
    'DrillReportFunctionArn',
    'NotificationsTopicArn',
    'MetricsNamespace',
  ].map((name) => [name, `arn:aws:lambda:eu-west-1:123456789012:function:${name}`]),
);

type Json = Parameters<TaskHandler>[0];
const payload = (value: Json): Json => ({ Payload: value });
/** Every Task answers what its handler would; CheckRestoreReady crashes on its first invocation only. */
function stubs(crash: { name: string }): { handlers: Record<string, TaskHandler>; checks: () => number } {
  let checks = 0;
  const handlers: Record<string, TaskHandler> = {
    ValidateInput: async () => payload({ id: 'drill-1', startedAt: '2026-01-15T11:10:00Z' }),
    SelectRecoveryPoint: async () => payload({ id: 'vol-1@slot' }),
    RestoreRecoveryPoint: async () => payload({ resources: [{ kind: 'rds-instance', id: 'bo-drill-1' }] }),
    CheckRestoreReady: async () => {
      checks += 1;
      if (checks === 1) throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: crash.name });
      return payload({ ready: checks >= 3, nextCheckInSeconds: 60, statuses: [] });
    },
    ValidateRestore: async () => payload({ checks: ['available'], user: null }),
    Cleanup: async () => payload({ skipped: null, deleted: [], remaining: [] }),
    RenderReport: async () => payload({ verdict: 'PASS', subject: 's', message: 'm', cause: 'c', result: { verdict: 'PASS' }, metricData: [] }),
    PublishReport: async () => ({ MessageId: 'm-1' }),
    PutDrillMetrics: async () => ({}),
    PublishFallbackReport: async () => ({ MessageId: 'm-2' }),
  };
  return { handlers, checks: () => checks };
}

async function run(crashName: string) {
  const definition = bindDefinition(ASL_FILE, SUBSTITUTIONS);
  const machine = new StateMachine(definition);
  const { handlers, checks } = stubs({ name: crashName });
  const options: RunOptions = {
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: { WaitForRestore: 0 },
      retryIntervalOverrides: Object.fromEntries(Object.keys(handlers).map((state) => [state, 0])),
    },
    context: {
      Execution: { Id: 'arn:aws:states:eu-west-1:123456789012:execution:bo-restore-drill:crash', Name: 'crash' },
      State: { EnteredTime: '2026-01-15T11:24:32Z' },
    },
  };
  const outcome = await runExecution(machine, { planId: 'gold' }, options);
  return { outcome, checks: checks() };
}

describe('restore-drill.asl.json: a crashed poll of a long restore', () => {
  it.each(['Sandbox.Timedout', 'Lambda.Unknown', 'States.Timeout'])(
    'retries CheckRestoreReady after one %s instead of failing the drill (the step only reads)',
    async (crashName) => {
      // Prepare / Act
      const { outcome, checks } = await run(crashName);

      // Assess: the restore is polled again and validated; the drill is not failed by one crashed poll.
      expect(outcome.path).toContain('ValidateRestore');
      expect(checks).toBeGreaterThan(1);
      expect(outcome.status).toBe('SUCCEEDED');
    },
  );

  it('gives drill-check-restore more time than one silent SDK attempt, so the SDK can retry a stalled call', () => {
    // Prepare: the function's timeout as deployed.
    const yml = readFileSync(join(ROOT, 'infra/functions/drill-check-restore.yml'), 'utf8');
    const timeoutSeconds = Number(/timeout:\s*(\d+)/.exec(yml)?.[1]);

    // Assess: a stalled DescribeDBInstances waits CLIENT_TIMEOUTS.socketMs before the SDK retries it; a function
    // killed at that same moment turns one stalled connection into Sandbox.Timedout (and, per the test above, a FAIL).
    expect(timeoutSeconds * 1000).toBeGreaterThan(CLIENT_TIMEOUTS.socketMs + CLIENT_TIMEOUTS.connectionMs);
  });
});
