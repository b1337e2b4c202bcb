import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StoredSnapshot } from '../domain/recovery-points.js';
import type { BacklogCopy, CopyBacklog } from '../use-cases/copy-snapshots.js';
import type { BacklogEntry, CopyBacklogReader } from '../use-cases/copy-pump.js';

type StoredJson = Omit<StoredSnapshot, 'startTime'> & { startTime?: string };

function revive(copy: Omit<BacklogCopy, 'source'> & { source: StoredJson }): BacklogCopy {
  const { startTime, ...source } = copy.source;
  return { ...copy, source: { ...source, ...(startTime ? { startTime: new Date(startTime) } : {}) } };
}

/**
 * The copy backlog on SQS: copy-snapshot adds a copy that found no free slot, the copy pump receives and
 * settles them. A received copy the pump cannot start yet reappears after the queue's visibility timeout.
 */
export class SqsCopyBacklog implements CopyBacklog, CopyBacklogReader {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async add(copy: BacklogCopy): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(copy) }));
  }

  async waiting(): Promise<number> {
    const result = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(result.Attributes?.ApproximateNumberOfMessages ?? '0');
  }

  async receive(max: number): Promise<BacklogEntry[]> {
    const result = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(10, max), WaitTimeSeconds: 0 }));
    const unreadable: BacklogEntry[] = [];
    const entries = (result.Messages ?? []).flatMap((message) => {
      try {
        return [{ copy: revive(JSON.parse(message.Body ?? '')), receipt: message.ReceiptHandle ?? '' }];
      } catch {
        // Unreadable: it can never be copied; the reconciler still finds the source by listing.
        unreadable.push({ copy: undefined as never, receipt: message.ReceiptHandle ?? '' });
        return [];
      }
    });
    try {
      await this.remove(unreadable);
    } catch {
      // Not deleted now: it reappears after the visibility timeout and is deleted then.
    }
    return entries;
  }

  async remove(entries: readonly BacklogEntry[]): Promise<void> {
    for (let start = 0; start < entries.length; start += 10) {
      const Entries = entries.slice(start, start + 10).map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receipt }));
      await this.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.queueUrl, Entries }));
    }
  }
}
