import { describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, DescribeSnapshotsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2SnapshotBackend } from '../../../shared/aws/ec2-snapshot-backend.js';
import type { SnapshotWorkItem } from '../../../shared/domain/snapshot-work-item.js';
import { CREATE_SNAPSHOTS_DEFAULTS, createSnapshots } from '../../../shared/use-cases/create-snapshots.js';
import { planFixture } from '../../support/plans.js';

const ec2Mock = mockClient(EC2Client);

describe('createSnapshots with an EC2 instance found pending at the slot', () => {
  it('hands the instance to the work queue, as it does an RDS instance in a passing state, instead of giving up the slot', async () => {
    // Prepare: the instance was started by an instance scheduler at the same minute as the backup slot.
    ec2Mock.reset();
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0123456789abcdef0',
              State: { Name: 'pending' },
              Tags: [{ Key: 'backup-plan', Value: 'gold' }],
              BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-1' } }],
            },
          ],
        },
      ],
    });
    ec2Mock.on(DescribeSnapshotsCommand).resolves({ Snapshots: [] });
    const client = new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const queued: SnapshotWorkItem[] = [];
    const plan = planFixture({ resourceTypes: ['ec2-instance'] });

    // Act
    const summary = await createSnapshots(
      { plan, slot: new Date('2026-11-26T08:00:00Z') },
      {
        ...CREATE_SNAPSHOTS_DEFAULTS,
        sleep: async () => {},
        stack: 'bo-test',
        backends: [new Ec2SnapshotBackend(client)],
        fanOut: { queue: { enqueue: async (items) => void queued.push(...items) }, inlineMax: 20 },
      },
    );

    // Assess
    expect(summary.outcomes).toEqual([{ resourceId: 'i-0123456789abcdef0', type: 'ec2-instance', status: 'queued' }]);
    expect(queued.map((item) => item.resourceId)).toEqual(['i-0123456789abcdef0']);
  });
});
