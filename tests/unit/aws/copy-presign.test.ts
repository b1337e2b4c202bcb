import { describe, expect, it } from '@jest/globals';
import { EC2Client } from '@aws-sdk/client-ec2';
import { RDSClient } from '@aws-sdk/client-rds';
import { Readable } from 'node:stream';
import { AwsCopyBackend } from '../../../shared/aws/copy-backend.js';
import { copyTags } from '../../../shared/domain/copies.js';
import type { StoredSnapshot } from '../../../shared/domain/recovery-points.js';
import { sourceSnapshot } from '../../support/copy-fakes.js';

// No aws-sdk-client-mock here: the SDK's own middleware must run to presign the source-Region request.
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const KEY_ARN = 'arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function copyRequest(source: StoredSnapshot) {
  return { source, region: 'eu-central-1', encrypted: true, kmsKeyArn: KEY_ARN, tags: copyTags({ source, attempt: 1, startedAt: new Date('2026-11-26T11:05:00Z') }), attempt: 1 };
}

describe('AwsCopyBackend with the real SDK middleware', () => {
  /** Answers in-process: nothing leaves the test, but the SDK's middleware (presigning) runs for real. */
  function capturing(xml: string) {
    const requests: Array<{ hostname: string; body: string }> = [];
    return {
      requests,
      handle: async (request: { hostname: string; body: string }) => {
        requests.push(request);
        return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(xml)]) } };
      },
    };
  }
  const loopback = { endpoint: 'http://127.0.0.1:9', credentials };

  it('presigns the RDS copy in the source Region from SourceRegion, and sends it to the destination', async () => {
    const handler = capturing('<CopyDBSnapshotResponse><CopyDBSnapshotResult><DBSnapshot/></CopyDBSnapshotResult></CopyDBSnapshotResponse>');
    const describe = capturing('<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots/></DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>');
    const backend = new AwsCopyBackend({
      ec2: () => new EC2Client({ region: 'eu-central-1', ...loopback }),
      rds: (region) => new RDSClient({ region, ...loopback, requestHandler: region === 'eu-west-1' ? describe : handler }),
    });

    await backend.startCopy(copyRequest(sourceSnapshot({ kind: 'rds-instance', id: 'bo-gold-orders-20261126-1100' })));

    const body = new URLSearchParams(handler.requests[0]?.body);
    const presigned = new URL(body.get('PreSignedUrl') ?? '');
    expect(body.get('SourceDBSnapshotIdentifier')).toBe('arn:aws:rds:eu-west-1:123456789012:snapshot:bo-gold-orders-20261126-1100');
    expect(body.get('KmsKeyId')).toBe(KEY_ARN);
    expect(presigned.searchParams.get('Action')).toBe('CopyDBSnapshot');
    expect(presigned.searchParams.get('DestinationRegion')).toBe('eu-central-1');
    expect(presigned.searchParams.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/rds\/aws4_request$/);
  });

  it('presigns the EBS copy in the source Region too', async () => {
    const handler = capturing('<CopySnapshotResponse><snapshotId>snap-0c0c0c0c0c0c0c0c0</snapshotId></CopySnapshotResponse>');
    const backend = new AwsCopyBackend({
      ec2: (region) => new EC2Client({ region, ...loopback, requestHandler: handler }),
      rds: (region) => new RDSClient({ region, ...loopback }),
    });

    const started = await backend.startCopy(copyRequest(sourceSnapshot({ id: 'snap-0a1b2c3d4e5f60718' })));

    const body = new URLSearchParams(handler.requests[0]?.body);
    expect(started.copyId).toBe('snap-0c0c0c0c0c0c0c0c0');
    expect(body.get('DestinationRegion')).toBe('eu-central-1');
    expect(new URL(body.get('PresignedUrl') ?? '').searchParams.get('X-Amz-Credential')).toMatch(/\/eu-west-1\/ec2\/aws4_request$/);
  });
});
