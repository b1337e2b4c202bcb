import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SnapshotWorkItem, SnapshotWorkQueue } from '../use-cases/create-snapshots.js';

/** SQS takes at most 10 messages per SendMessageBatch. */
const BATCH = 10;
/** Batches in flight at once: 5,000 items go in about a second. */
const PARALLEL = 10;
/** Entries SQS refused in a batch are sent again this many times before the run fails (and is retried whole). */
const ATTEMPTS = 3;

export class WorkQueueError extends Error {
  override readonly name = 'WorkQueueError';
}

/** The snapshot work queue: one message per resource, sent ten to a call. */
export class SqsSnapshotWorkQueue implements SnapshotWorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(items: readonly SnapshotWorkItem[]): Promise<void> {
    const batches: SnapshotWorkItem[][] = [];
    for (let start = 0; start < items.length; start += BATCH) batches.push(items.slice(start, start + BATCH));
    let next = 0;
    const workers = Array.from({ length: Math.min(PARALLEL, batches.length) }, async () => {
      while (next < batches.length) await this.send(batches[next++] as SnapshotWorkItem[]);
    });
    await Promise.all(workers);
  }

  private async send(batch: SnapshotWorkItem[]): Promise<void> {
    let pending = batch.map((item, index) => ({ Id: String(index), MessageBody: JSON.stringify(item) }));
    for (let attempt = 1; pending.length; attempt += 1) {
      const result = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
      const failed = new Set((result.Failed ?? []).map((entry) => entry.Id));
      if (failed.size && attempt >= ATTEMPTS) {
        const first = result.Failed?.[0];
        throw new WorkQueueError(`SQS refused ${failed.size} work item(s) after ${ATTEMPTS} attempts: ${first?.Code ?? ''} ${first?.Message ?? ''}`.trim());
      }
      pending = pending.filter((entry) => failed.has(entry.Id));
    }
  }
}
