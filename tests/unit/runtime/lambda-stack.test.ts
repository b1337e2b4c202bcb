import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { lambdaStack } from '../../../shared/runtime/lambda-stack.js';
import { createLogging, createObservability } from '../../../shared/runtime/observability.js';

const context = (name: string) => ({ functionName: name, awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 }) as unknown as Context;

/** What the function wrote to stdout and stderr: EMF metrics, structured logs, warnings. */
let output: string[];

beforeEach(() => {
  output = [];
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.POWERTOOLS_DEV = 'false';
  // What Lambda sets for an on-demand execution environment; Powertools counts cold starts only there.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
});

afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  delete process.env.POWERTOOLS_DEV;
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
});

const emf = () => output.flatMap((line) => line.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('lambdaStack', () => {
  it('publishes the metrics an invocation recorded, once, and the ColdStart metric on the first invocation only', async () => {
    const observability = createObservability('unit-publishes');
    const handler = lambdaStack(observability, async () => {
      observability.metrics.addMetric('CopiesStarted', MetricUnit.Count, 3);
      return 'done';
    });

    expect(await handler({}, context('unit-publishes'))).toBe('done');
    expect(await handler({}, context('unit-publishes'))).toBe('done');

    const published = emf();
    expect(published.filter((line) => line.CopiesStarted === 3)).toHaveLength(2);
    expect(published.filter((line) => line.ColdStart === 1)).toHaveLength(1);
  });

  it('publishes nothing and warns of nothing when an invocation recorded no metric', async () => {
    const observability = createObservability('unit-quiet');
    const handler = lambdaStack(observability, async () => 'done');
    await handler({}, context('unit-quiet'));
    output.length = 0;

    await handler({}, context('unit-quiet'));

    expect(emf()).toEqual([]);
    expect(output.join('')).not.toContain('No application metrics to publish');
  });

  it('logs a failed invocation once, publishes what it recorded, and rethrows', async () => {
    const observability = createObservability('unit-fails');
    const handler = lambdaStack(observability, async () => {
      observability.metrics.addMetric('CopyFailures', MetricUnit.Count, 1);
      throw new Error('EC2 said no');
    });

    await expect(handler({}, context('unit-fails'))).rejects.toThrow('EC2 said no');

    expect(emf().filter((line) => line.CopyFailures === 1)).toHaveLength(1);
    expect(output.filter((line) => line.includes('"invocation failed"'))).toHaveLength(1);
  });

  it('with a logger alone publishes no metric, not even ColdStart, and still logs a failure once', async () => {
    const observability = createLogging('unit-logger-only');
    const handler = lambdaStack(observability, async (event: { fail?: boolean }) => {
      if (event.fail) throw new Error('restore refused');
      observability.logger.info('restored');
      return 'done';
    });

    expect(await handler({}, context('unit-logger-only'))).toBe('done');
    await expect(handler({ fail: true }, context('unit-logger-only'))).rejects.toThrow('restore refused');

    expect(emf()).toEqual([]);
    expect(output.filter((line) => line.includes('"restored"') && line.includes('"function_request_id":"req-1"'))).toHaveLength(1);
    expect(output.filter((line) => line.includes('"invocation failed"'))).toHaveLength(1);
  });
});
