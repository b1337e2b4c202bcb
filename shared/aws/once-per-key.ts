import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Claims a key once (DynamoDB conditional put, expiring by TTL): true for the first caller, false for every
 * later one until it expires. Used to send one failure email per plan and hour.
 */
export async function claimOnce(documents: DynamoDBDocumentClient, tableName: string, key: string, ttlSeconds: number, now = new Date()): Promise<boolean> {
  try {
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { id: key, expiration: Math.floor(now.getTime() / 1000) + ttlSeconds },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
