import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { CLIENT_TIMEOUTS, ec2Client, lambdaClient, rdsClient } from '../../../shared/aws/clients.js';
import { classifyFailure } from '../../../shared/domain/failure-classification.js';

// A loopback endpoint that accepts connections and never answers: a stalled connection. Nothing here reaches AWS.
let server: Server;
let endpoint: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** The settings the client's HTTP handler runs with. */
async function handlerSettings(client: { config: { requestHandler: unknown } }): Promise<{ connectionTimeout?: number; socketTimeout?: number }> {
  return (client.config.requestHandler as { configProvider: Promise<{ connectionTimeout?: number; socketTimeout?: number }> }).configProvider;
}

describe('the client factory (shared/aws/clients.ts)', () => {
  it('gives up on a stalled connection with a transient TimeoutError, so a retry or the next delivery can take over', async () => {
    const ec2 = ec2Client({ region: 'eu-west-1', endpoint, maxAttempts: 1, timeouts: { connectionMs: 1_000, socketMs: 300 } });
    const rds = rdsClient({ region: 'eu-west-1', endpoint, maxAttempts: 1, timeouts: { connectionMs: 1_000, socketMs: 300 } });

    const failures = await Promise.all([ec2.send(new DescribeVolumesCommand({})), rds.send(new DescribeDBSnapshotsCommand({}))].map((call) => call.then(() => undefined, (error: unknown) => error)));

    expect(failures.map((failure) => classifyFailure(failure))).toEqual([
      expect.objectContaining({ kind: 'transient', name: 'TimeoutError' }),
      expect.objectContaining({ kind: 'transient', name: 'TimeoutError' }),
    ]);
  });

  it('bounds every attempt by default well inside the shortest function timeout (120 s), and Invoke by the drill step\'s 900 s', async () => {
    const ec2 = await handlerSettings(ec2Client({ region: 'eu-west-1', endpoint }));
    const rds = await handlerSettings(rdsClient({ region: 'eu-west-1', endpoint }));
    const lambda = await handlerSettings(lambdaClient({ region: 'eu-west-1', endpoint }));

    for (const settings of [ec2, rds]) expect(settings).toMatchObject({ connectionTimeout: CLIENT_TIMEOUTS.connectionMs, socketTimeout: CLIENT_TIMEOUTS.socketMs });
    expect(CLIENT_TIMEOUTS.socketMs).toBeLessThan(60_000);
    expect(lambda.socketTimeout).toBeGreaterThan(CLIENT_TIMEOUTS.socketMs);
    expect(lambda.socketTimeout).toBeLessThan(900_000);
  });
});
