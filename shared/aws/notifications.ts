import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { NoticeClaimOutcome } from '../domain/failure-notice.js';

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

/**
 * Claims a notice key for one event in the IdempotencyTable (conditional put, expiring by TTL): true when the key
 * is free, released, or still pending under this same event (its retry after a failed or timed-out attempt).
 * Items without a state (older claims) count as held.
 */
export async function claimNotice(documents: DynamoDBDocumentClient, tableName: string, key: string, eventId: string, ttlSeconds: number, now = new Date()): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { id: key, eventId, state: 'pending', expiration: Math.floor(now.getTime() / 1000) + ttlSeconds },
        ConditionExpression: 'attribute_not_exists(id) OR #state = :released OR (#eventId = :eventId AND #state = :pending)',
        ExpressionAttributeNames: { '#state': 'state', '#eventId': 'eventId' },
        ExpressionAttributeValues: { ':released': 'released', ':pending': 'pending', ':eventId': eventId },
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Settles an event's claim as sent (held until it expires) or released (free for the next claim); a no-op once another event holds it. */
export async function settleNotice(
  documents: DynamoDBDocumentClient,
  tableName: string,
  key: string,
  eventId: string,
  outcome: NoticeClaimOutcome,
  ttlSeconds: number,
  now = new Date(),
): Promise<void> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { id: key, eventId, state: outcome, expiration: Math.floor(now.getTime() / 1000) + ttlSeconds },
        ConditionExpression: '#eventId = :eventId',
        ExpressionAttributeNames: { '#eventId': 'eventId' },
        ExpressionAttributeValues: { ':eventId': eventId },
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
  }
}
