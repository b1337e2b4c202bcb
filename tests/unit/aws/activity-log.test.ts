import { beforeEach, describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ActivityLog } from '../../../shared/aws/activity-log.js';
import type { ActivityRecord } from '../../../shared/domain/activity.js';

const documentsMock = mockClient(DynamoDBDocumentClient);
const log = new ActivityLog(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })), 'activity');
const failure: ActivityRecord = {
  at: new Date('2026-11-26T11:02:40Z'),
  kind: 'snapshot',
  source: 'notify-failure',
  planId: 'gold',
  region: 'eu-west-1',
  failures: [{ resourceId: 'vol-1', errorName: 'createSnapshotFailed', reason: 'volume deleted' }],
};

/** The item keys the log wrote, in order. */
const writtenKeys = () => documentsMock.commandCalls(PutCommand).map((call) => ({ pk: call.args[0].input.Item?.pk as string, sk: call.args[0].input.Item?.sk as string }));

describe('ActivityLog', () => {
  beforeEach(() => {
    documentsMock.reset();
    documentsMock.on(PutCommand).resolves({});
  });

  it('writes a record given twice with the same key to the same item, so it is counted once', async () => {
    await log.record(failure, 'event-1#gold');
    await log.record(failure, 'event-1#gold');

    expect(writtenKeys()).toEqual([
      { pk: 'activity#2026-11-26', sk: '2026-11-26T11:02:40.000Z#notify-failure#event-1#gold' },
      { pk: 'activity#2026-11-26', sk: '2026-11-26T11:02:40.000Z#notify-failure#event-1#gold' },
    ]);
  });

  it('writes every record without a key to an item of its own, as the records of the other functions are', async () => {
    await log.record({ ...failure, source: 'create-snapshots' });
    await log.record({ ...failure, source: 'create-snapshots' });

    const [first, second] = writtenKeys();
    expect(first?.sk).toMatch(/^2026-11-26T11:02:40\.000Z#create-snapshots#[0-9a-z]+$/);
    expect(second?.sk).not.toBe(first?.sk);
  });
});
