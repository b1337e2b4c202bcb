/**
 * SDK v3 client configuration for tests against a local moto_server.
 *
 * Everything is explicit so that nothing from the developer's environment (profiles,
 * AWS_ENDPOINT_URL*, FIPS/dual-stack settings, real credentials) can redirect a test to
 * real AWS: the endpoint is always the loopback moto server and the credentials are fake.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { SNSClient } from '@aws-sdk/client-sns';

export const FAKE_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** moto's fixed account id for the fake credentials. */
export const MOTO_ACCOUNT_ID = '123456789012';

export interface MotoClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  maxAttempts: number;
  useFipsEndpoint: boolean;
  useDualstackEndpoint: boolean;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

function assertLoopback(endpoint: string): void {
  const { hostname } = new URL(endpoint);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) {
    throw new Error(`refusing to point a test client at a non-loopback endpoint: ${endpoint}`);
  }
}

/**
 * Config for any SDK v3 client: `new EC2Client(clientConfig(moto.endpoint, 'eu-west-1'))`.
 * The Region only decides which of moto's per-Region backends answers (it is read from the
 * request signature), so one server serves every Region.
 */
export function clientConfig(endpoint: string, region: string): MotoClientConfig {
  assertLoopback(endpoint);
  return {
    endpoint,
    region,
    credentials: { ...FAKE_CREDENTIALS },
    maxAttempts: 2,
    // A custom endpoint together with FIPS/dual-stack (e.g. AWS_USE_FIPS_ENDPOINT=true in the
    // environment) makes the endpoint resolver throw; pin them off.
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    // Fail fast instead of hanging until the jest timeout if the server dies.
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 15_000 },
  };
}

export const ec2 = (endpoint: string, region: string): EC2Client =>
  new EC2Client(clientConfig(endpoint, region));
export const rds = (endpoint: string, region: string): RDSClient =>
  new RDSClient(clientConfig(endpoint, region));
export const kms = (endpoint: string, region: string): KMSClient =>
  new KMSClient(clientConfig(endpoint, region));
export const sns = (endpoint: string, region: string): SNSClient =>
  new SNSClient(clientConfig(endpoint, region));
export const dynamodb = (endpoint: string, region: string): DynamoDBClient =>
  new DynamoDBClient(clientConfig(endpoint, region));
