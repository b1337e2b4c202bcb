/**
 * The stack, as far as a local run needs it: its DynamoDB tables, its notifications topic (with an SQS queue
 * subscribed, the sandbox's inbox), the environment every function reads at cold start, and the functions
 * themselves, imported in-process and invoked as Lambda would.
 */
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { DLMClient } from '@aws-sdk/client-dlm';
import { dlmClient, snsClient } from '../shared/aws/clients.js';
import { clientConfig, dynamodb, FAKE_CREDENTIALS, sns } from './aws-clients.js';
import { queueBatch } from './completion-events.js';
import { lambdaContext } from './lambda-context.js';
import { Mailbox } from './mailbox.js';
import { eventRules, matchesPattern, ROOT } from './stack-definition.js';
import { createStackTables } from './stack-tables.js';

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalStack {
  stack: string;
  topicArn: string;
  mailbox: Mailbox;
  /** The function of infra/functions/<name>.yml's handler file, e.g. 'create-snapshots'. */
  handler(file: string): Promise<Handler>;
  invoke<T>(file: string, event: unknown): Promise<T>;
  /** Delivers an event as EventBridge would: to every function with a rule that matches it, directly or through its queue. */
  publishEvent(event: unknown): Promise<Array<{ functionName: string; module: string; result: unknown }>>;
}

/**
 * moto has no Data Lifecycle Manager. The sandbox's plans use none, so the local DLM answers what an account
 * without policies answers: an empty list (the daily report reads it for coverage).
 */
function answerDlmWithNoPolicies(client: DLMClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetLifecyclePoliciesCommand') return { output: { $metadata: {}, Policies: [] }, response: {} };
      return next(args);
    },
    { step: 'initialize', name: 'sandboxLocalDlm', override: true },
  );
}

export async function startLocalStack(settings: { endpoint: string; region: string; stack: string; plansFile: string; timezone: string }): Promise<LocalStack> {
  const { endpoint, region, stack } = settings;
  const tables = await createStackTables(dynamodb(endpoint, region), stack);
  const { TopicArn: topicArn } = await sns(endpoint, region).send(new CreateTopicCommand({ Name: `${stack}-notifications` }));
  const sqs = new SQSClient(clientConfig(endpoint, region));
  const { QueueUrl: queueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${stack}-inbox` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  await sns(endpoint, region).send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }));
  if (!topicArn || !queueUrl) throw new Error('moto did not create the notifications topic and its queue');

  // What serverless.yml and infra/functions/*.yml give the functions, pointed at moto with fake credentials.
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    STACK_NAME: stack,
    PLANS_FILE: settings.plansFile,
    IDEMPOTENCY_TABLE: tables.idempotencyTable,
    ACTIVITY_TABLE: tables.activityTable,
    NOTIFICATION_TOPIC_ARN: topicArn,
    REPORT_TIMEZONE: settings.timezone,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'WARN', // warnings and errors only, into sandbox-output/functions.log
    POWERTOOLS_DEV: 'false',
  });

  const mailbox = new Mailbox(sqs, queueUrl);
  // The SNS client every function publishes with (shared/aws/clients.ts caches one per Region and endpoint).
  mailbox.watch(snsClient({ region, endpoint }));
  answerDlmWithNoPolicies(dlmClient({ region, endpoint }));

  const loaded = new Map<string, Handler>();
  const handler = async (file: string): Promise<Handler> => {
    let found = loaded.get(file);
    if (!found) {
      const module = (await import(pathToFileURL(join(ROOT, 'functions', `${file}.ts`)).href)) as { handler: Handler };
      found = module.handler;
      loaded.set(file, found);
    }
    return found;
  };
  const invoke = async <T>(file: string, event: unknown): Promise<T> => (await (await handler(file))(event, lambdaContext(`${stack}-${file}`))) as T;
  const rules = eventRules();

  return {
    stack,
    topicArn,
    mailbox,
    handler,
    invoke,
    async publishEvent(event) {
      const delivered = [];
      for (const rule of rules.filter((candidate) => matchesPattern(candidate.pattern, event))) {
        const file = rule.module.replace(/^functions\//, '').replace(/\.ts$/, '');
        // Through a queue, the event arrives as an SQS record; here each in a batch of its own, at once.
        const delivery = rule.queue ? queueBatch([event], { region, queue: `${stack}-${rule.queue}` }) : event;
        delivered.push({ functionName: rule.functionName, module: rule.module, result: await invoke(file, delivery) });
      }
      return delivered;
    },
  };
}
