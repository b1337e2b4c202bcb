import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DLMClient } from '@aws-sdk/client-dlm';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One place that builds SDK clients: adaptive retry with an explicit attempt budget, and an optional
 * endpoint (the local sandbox and tests point every client at moto_server on loopback).
 */
export interface ClientSettings {
  region: string;
  endpoint?: string;
  maxAttempts?: number;
}

type ClientClass<T> = new (config: Record<string, unknown>) => T;
const cache = new Map<string, unknown>();

function build<T>(kind: string, Client: ClientClass<T>, settings: ClientSettings): T {
  const key = `${kind}|${settings.region}|${settings.endpoint ?? ''}|${settings.maxAttempts ?? ''}`;
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = new Client({
      region: settings.region,
      retryMode: 'adaptive',
      maxAttempts: settings.maxAttempts ?? 6,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    });
    cache.set(key, client);
  }
  return client;
}

export const ec2Client = (settings: ClientSettings) => build('ec2', EC2Client as ClientClass<EC2Client>, settings);
export const rdsClient = (settings: ClientSettings) => build('rds', RDSClient as ClientClass<RDSClient>, settings);
export const kmsClient = (settings: ClientSettings) => build('kms', KMSClient as ClientClass<KMSClient>, settings);
export const snsClient = (settings: ClientSettings) => build('sns', SNSClient as ClientClass<SNSClient>, settings);
export const dlmClient = (settings: ClientSettings) => build('dlm', DLMClient as ClientClass<DLMClient>, settings);
export const lambdaClient = (settings: ClientSettings) => build('lambda', LambdaClient as ClientClass<LambdaClient>, settings);
export const sfnClient = (settings: ClientSettings) => build('sfn', SFNClient as ClientClass<SFNClient>, settings);
export const dynamoDbClient = (settings: ClientSettings) => build('dynamodb', DynamoDBClient as ClientClass<DynamoDBClient>, settings);
/** Document client over the cached DynamoDB client; undefined attributes are dropped, not rejected. */
export const documentClient = (settings: ClientSettings) =>
  DynamoDBDocumentClient.from(dynamoDbClient(settings), { marshallOptions: { removeUndefinedValues: true } });
