import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyTags } from '../../../shared/domain/copies.js';
import { sourceSnapshot } from '../../support/copy-fakes.js';

/** A loopback "EC2" that answers every request with a 500 (as after a copy it did start) and counts them by action. */
let server: http.Server;
let endpoint: string;
const actions: string[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      actions.push(new URLSearchParams(body).get('Action') ?? '');
      response.writeHead(500, { 'content-type': 'text/xml' });
      response.end('<Response><Errors><Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error></Errors><RequestID>r-1</RequestID></Response>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The SDK clients of shared/aws/clients.ts read credentials and the backoff scale from the environment.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', RETRY_DELAY_SCALE: '0.001' });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('copyAdapters (the copy functions\' SDK wiring)', () => {
  it('sends an EBS CopySnapshot once when it answers 500: it takes no client token, so a resend could start a second copy', async () => {
    // Prepare
    const { copyAdapters } = await import('../../../shared/aws/copy-adapters.js');
    const { backend } = copyAdapters({ endpoint });
    const source = sourceSnapshot({ planId: 'silver' });
    actions.length = 0;

    // Act
    const error = await backend
      .startCopy({ source, region: 'eu-north-1', encrypted: false, tags: copyTags({ source, attempt: 1, startedAt: new Date('2026-11-26T11:05:00Z') }), attempt: 1 })
      .catch((caught: unknown) => caught as Error);

    // Assess: the failure reaches the use case, which looks for the copy before any resend.
    expect(error).toMatchObject({ name: 'InternalError' });
    expect(actions).toEqual(['CopySnapshot']);
  });

  it('keeps the SDK\'s retries for the look-up of a source\'s copies, which changes nothing', async () => {
    // Prepare
    const { copyAdapters } = await import('../../../shared/aws/copy-adapters.js');
    const { backend } = copyAdapters({ endpoint });
    const source = sourceSnapshot({ planId: 'silver' });
    actions.length = 0;

    // Act
    const error = await backend.listCopiesOf('eu-north-1', 'backup-orchestrator-test', [source]).catch((caught: unknown) => caught as Error);

    // Assess
    expect(error).toMatchObject({ name: 'InternalError' });
    expect(actions.length).toBeGreaterThan(1);
    expect(new Set(actions)).toEqual(new Set(['DescribeSnapshots']));
  });
});
