/**
 * The sandbox's inbox. The stack's topic has an SQS queue subscribed, which receives what every non-email
 * subscriber gets (the SNS envelope around the default form). An email subscriber gets the `email` form of a
 * MessageStructure json message instead, which no queue can receive: the mailbox records each Publish the
 * functions make (SDK middleware on their SNS client) and pairs it with the queue's copy by MessageId, so it
 * holds both forms of every message, and fails if the two ever disagree in number.
 */
import type { PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface Email {
  subject: string;
  /** The body an email subscriber reads. */
  text: string;
  /** The SNS envelope the subscribed queue received (its Message is the default form). */
  envelope: Record<string, unknown>;
}

interface Published {
  messageId: string;
  subject: string;
  text: string;
}

/** What an email subscriber of the topic receives for one Publish. */
export function emailForm(input: Pick<PublishCommandInput, 'Message' | 'MessageStructure'>): string {
  const message = input.Message ?? '';
  if (input.MessageStructure !== 'json') return message;
  const forms = JSON.parse(message) as Record<string, string>;
  return forms.email ?? forms.default ?? '';
}

export class Mailbox {
  private readonly published: Published[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** Records every Publish sent through this client. */
  watch(client: SNSClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'PublishCommand') this.record(args.input as PublishCommandInput, (result.output as { MessageId?: string }).MessageId);
        return result;
      },
      { step: 'initialize', name: 'sandboxMailbox', override: true },
    );
  }

  /** Records one Publish made elsewhere (the drill's state machine publishes through its own SDK integration). */
  record(input: PublishCommandInput, messageId: string | undefined): void {
    if (!messageId) return;
    this.published.push({ messageId, subject: input.Subject ?? '', text: emailForm(input) });
  }

  /** Every message the queue holds, paired with its Publish, in publishing order; empties the queue. */
  async collect(): Promise<Email[]> {
    const envelopes = new Map<string, Record<string, unknown>>();
    for (;;) {
      const received = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!received.Messages?.length) break;
      for (const message of received.Messages) {
        const envelope = JSON.parse(message.Body ?? '{}') as Record<string, unknown>;
        envelopes.set(String(envelope.MessageId), envelope);
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
    const unmatched = [...envelopes.keys()].filter((id) => !this.published.some((published) => published.messageId === id));
    const undelivered = this.published.filter((published) => !envelopes.has(published.messageId));
    if (unmatched.length || undelivered.length) {
      throw new Error(`the topic and the mailbox disagree: ${unmatched.length} message(s) published unseen, ${undelivered.length} publish(es) never delivered`);
    }
    return this.published.map((published) => ({ subject: published.subject, text: published.text, envelope: envelopes.get(published.messageId) as Record<string, unknown> }));
  }
}
