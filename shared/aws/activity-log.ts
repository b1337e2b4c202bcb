import { QueryCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ACTIVITY_RETENTION_MS, type ActivityRecord } from '../domain/activity.js';
import { documentClient } from './document-client.js';
import { DAY_MS } from '../domain/durations.js';

type StoredItem = Omit<ActivityRecord, 'at' | 'drill'> & {
  pk: string;
  sk: string;
  at: string;
  expiresAt: number;
  drill?: Omit<NonNullable<ActivityRecord['drill']>, 'at'> & { at: string };
};

const dayKey = (time: Date) => `activity#${time.toISOString().slice(0, 10)}`;

/**
 * The run log the daily report reads: one item per function run, partitioned by UTC day, expiring after
 * ACTIVITY_RETENTION_MS (40 days, DynamoDB TTL). Pruned points leave no trace in EC2 or RDS, so this is where they are counted.
 */
export class ActivityLog {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes one record. With `key` (e.g. event id and plan) the item is keyed by it, so writing the same record
   * again replaces it instead of counting it twice; without, every call adds an item.
   */
  async record(record: ActivityRecord, key?: string): Promise<void> {
    const { drill, ...rest } = record;
    const item: StoredItem = {
      ...rest,
      ...(drill ? { drill: { ...drill, at: drill.at.toISOString() } } : {}),
      pk: dayKey(record.at),
      sk: `${record.at.toISOString()}#${record.source}#${key ?? Math.random().toString(36).slice(2, 10)}`,
      at: record.at.toISOString(),
      expiresAt: Math.floor((record.at.getTime() + ACTIVITY_RETENTION_MS) / 1000),
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** Records with from <= at < to, oldest first. */
  async list(from: Date, to: Date): Promise<ActivityRecord[]> {
    const records: ActivityRecord[] = [];
    for (let day = Date.parse(from.toISOString().slice(0, 10)); day < to.getTime(); day += DAY_MS) {
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': dayKey(new Date(day)), ':from': from.toISOString(), ':to': `${to.toISOString()}` },
            ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
          }),
        );
        for (const item of (page.Items ?? []) as StoredItem[]) {
          const { pk: _pk, sk: _sk, expiresAt: _expiresAt, at, drill, ...rest } = item;
          const time = new Date(at);
          if (time < from || time >= to) continue;
          records.push({ ...rest, at: time, ...(drill ? { drill: { ...drill, at: new Date(drill.at) } } : {}) });
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
    return records;
  }
}

/** The stack's run log in the function's own Region, or undefined outside the stack (no ACTIVITY_TABLE). */
export function activityLogOf(env: { region: string; endpoint?: string; activityTable?: string }): ActivityLog | undefined {
  if (!env.activityTable) return undefined;
  return new ActivityLog(documentClient({ region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }), env.activityTable);
}
