/** Settings every function reads from its environment; nothing account- or endpoint-specific is hard-coded. */
export interface RuntimeEnvironment {
  /** Value of our ownership tag: the deployed stack's name. */
  stack: string;
  region: string;
  /** Loopback endpoint of a local AWS (sandbox, tests); unset in a real deployment. */
  endpoint?: string;
  idempotencyTable?: string;
  /** The run log the daily report reads; unset when running outside the stack (CLI). */
  activityTable?: string;
  /** SQS queue the scheduled run hands large slots to (the snapshot workers drain it); unset: always inline. */
  snapshotWorkQueueUrl?: string;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): RuntimeEnvironment {
  const stack = env.STACK_NAME;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const missing = [!stack && 'STACK_NAME', !region && 'AWS_REGION'].filter(Boolean);
  if (missing.length) throw new ConfigurationError(`missing environment variable(s): ${missing.join(', ')}`);
  return {
    stack: stack as string,
    region: region as string,
    ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
    ...(env.IDEMPOTENCY_TABLE ? { idempotencyTable: env.IDEMPOTENCY_TABLE } : {}),
    ...(env.ACTIVITY_TABLE ? { activityTable: env.ACTIVITY_TABLE } : {}),
    ...(env.SNAPSHOT_WORK_QUEUE_URL ? { snapshotWorkQueueUrl: env.SNAPSHOT_WORK_QUEUE_URL } : {}),
  };
}
