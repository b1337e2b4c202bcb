import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { listAllResources } from '../../../shared/aws/resource-inventory.js';
import { TAG } from '../../../shared/domain/recovery-point-tags.js';

const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);

afterEach(() => {
  ec2.reset();
  rds.reset();
});

describe('listAllResources', () => {
  it('carries when each resource was created: volume CreateTime, instance launch (or first attach), RDS and Aurora create times', async () => {
    // Prepare
    const at = (iso: string) => new Date(iso);
    ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [{ VolumeId: 'vol-new', CreateTime: at('2026-11-26T06:00:00Z'), Tags: [{ Key: 'backup:plan', Value: 'gold' }], Attachments: [{ InstanceId: 'i-app' }] }],
    });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            // Restarted yesterday: LaunchTime is the last start, the root volume was attached at creation.
            { InstanceId: 'i-app', LaunchTime: at('2026-11-25T12:00:00Z'), BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { VolumeId: 'vol-root', AttachTime: at('2026-01-02T00:00:00Z') } }] },
            { InstanceId: 'i-fresh', LaunchTime: at('2026-11-26T05:00:00Z') },
          ],
        },
      ],
    });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'orders', InstanceCreateTime: at('2026-03-01T00:00:00Z'), TagList: [] }] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [{ DBClusterIdentifier: 'orders', ClusterCreateTime: at('2026-04-01T00:00:00Z'), TagList: [] }] });

    // Act
    const resources = await listAllResources(new EC2Client({ region: 'eu-west-1' }), new RDSClient({ region: 'eu-west-1' }));

    // Assess
    expect(resources.map((resource) => [resource.type, resource.id, resource.createdAt?.toISOString()])).toEqual([
      ['ebs-volume', 'vol-new', '2026-11-26T06:00:00.000Z'],
      ['ec2-instance', 'i-app', '2026-01-02T00:00:00.000Z'],
      ['ec2-instance', 'i-fresh', '2026-11-26T05:00:00.000Z'],
      ['rds-instance', 'orders', '2026-03-01T00:00:00.000Z'],
      ['aurora-cluster', 'orders', '2026-04-01T00:00:00.000Z'],
    ]);
    expect(resources[0]?.coveredBy).toEqual(['i-app']);
  });

  it('leaves out drill restores, and counts a database restored by hand from our snapshot (carrying our tags) like any other', async () => {
    // Prepare
    const ours = [{ Key: TAG.stack, Value: 'bo-prod' }];
    const drill = [...ours, { Key: TAG.drillId, Value: 'drill-20261126-1500-3f9a0c1d' }];
    ec2.on(DescribeVolumesCommand).resolves({ Volumes: [{ VolumeId: 'vol-drill', Tags: drill }, { VolumeId: 'vol-app', Tags: [] }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'bo-drill-20261126-1500-3f9a0c1d', TagList: drill }, { DBInstanceIdentifier: 'orders-restored', TagList: ours }] });
    rds.on(DescribeDBClustersCommand).resolves({ DBClusters: [] });

    // Act
    const resources = await listAllResources(new EC2Client({ region: 'eu-west-1' }), new RDSClient({ region: 'eu-west-1' }));

    // Assess
    expect(resources.map((resource) => resource.id)).toEqual(['vol-app', 'orders-restored']);
  });
});
