import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

/** SNS's limit for one message, in bytes, with all its protocol forms together. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

export interface Notification {
  subject: string;
  /** What an email subscriber reads. */
  text: string;
  /** What queues, functions and HTTP endpoints receive. */
  json: string;
}

export class NotificationTooLargeError extends Error {
  override readonly name = 'NotificationTooLargeError';
}

/**
 * Publishes one message with a form per protocol (MessageStructure json): email gets the plain text,
 * every other protocol the JSON. Checked against SNS's 256 KB before sending, so an oversized report fails
 * loudly here instead of being refused by SNS.
 */
export async function publishNotification(sns: SNSClient, topicArn: string, notification: Notification): Promise<string | undefined> {
  const Message = JSON.stringify({ default: notification.json, email: notification.text });
  const bytes = Buffer.byteLength(Message, 'utf8') + Buffer.byteLength(notification.subject, 'utf8');
  if (bytes > SNS_MAX_MESSAGE_BYTES) {
    throw new NotificationTooLargeError(`notification "${notification.subject}" is ${bytes} bytes; SNS accepts ${SNS_MAX_MESSAGE_BYTES}`);
  }
  const result = await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: notification.subject, MessageStructure: 'json', Message }));
  return result.MessageId;
}
