import { afterEach, describe, expect, it } from '@jest/globals';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsCopyBacklog } from '../../../shared/aws/copy-backlog-queue.js';

const sqs = mockClient(SQSClient);
const QUEUE = 'http://127.0.0.1:1/000000000000/copy-backlog';
const client = () => new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const copy = { planId: 'gold', region: 'eu-central-1', attempt: 1, source: { kind: 'ebs', id: 'snap-1', region: 'eu-west-1', state: 'completed', status: 'completed', tags: {}, startTime: '2026-11-26T11:00:00.000Z' } };

afterEach(() => {
  sqs.reset();
});

describe('SqsCopyBacklog.receive', () => {
  it('hands out the readable entries, with their start time, and deletes an unreadable message before it answers', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ Body: JSON.stringify(copy), ReceiptHandle: 'r-1' }, { Body: 'not json', ReceiptHandle: 'r-2' }] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }] });

    const entries = await new SqsCopyBacklog(client(), QUEUE).receive(10);

    expect(entries.map((entry) => [entry.receipt, entry.copy.source.id, entry.copy.source.startTime?.toISOString()])).toEqual([['r-1', 'snap-1', '2026-11-26T11:00:00.000Z']]);
    expect(sqs.commandCalls(DeleteMessageBatchCommand).map((call) => call.args[0].input.Entries?.map((entry) => entry.ReceiptHandle))).toEqual([['r-2']]);
  });

  it('still answers when deleting an unreadable message fails, leaving no rejection unhandled (it reappears and is deleted later)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [{ Body: '{', ReceiptHandle: 'r-2' }] });
      sqs.on(DeleteMessageBatchCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }));

      const entries = await new SqsCopyBacklog(client(), QUEUE).receive(10);
      await new Promise((resolve) => setTimeout(resolve, 50));

      expect(entries).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
