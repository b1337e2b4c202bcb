import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient, type ClientSettings } from './clients.js';

/**
 * Document client over the cached DynamoDB client; undefined attributes are dropped, not rejected. In a module
 * of its own: lib-dynamodb is not marked free of side effects, so importing it from clients.ts would put the
 * DynamoDB client into every bundle, whether the function uses DynamoDB or not.
 */
export const documentClient = (settings: ClientSettings) =>
  DynamoDBDocumentClient.from(dynamoDbClient(settings), { marshallOptions: { removeUndefinedValues: true } });
