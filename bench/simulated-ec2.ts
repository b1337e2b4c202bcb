/**
 * EC2 in memory for the benchmark, as an SDK request handler: the volumes of a plan, the snapshots created
 * since, and the XML the EC2 query protocol answers with. No network, no moto: a call costs only the SDK's
 * own work, so timings measure our code and the simulated limits, nothing else.
 */
import { Readable } from 'node:stream';

interface Snapshot {
  id: string;
  volumeId: string;
  tags: Record<string, string>;
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tagSet = (tags: Record<string, string>) => `<tagSet>${Object.entries(tags).map(([key, value]) => `<item><key>${xml(key)}</key><value>${xml(value)}</value></item>`).join('')}</tagSet>`;

export class SimulatedEc2 {
  readonly volumes: Array<{ id: string; tags: Record<string, string> }>;
  readonly snapshots: Snapshot[] = [];
  private sequence = 0;

  constructor(volumeCount: number, tags: Record<string, string>) {
    this.volumes = Array.from({ length: volumeCount }, (_, index) => ({ id: `vol-${index.toString(16).padStart(17, '0')}`, tags }));
  }

  /** The `requestHandler` a client takes: answers each EC2 query-protocol request from memory. */
  readonly handler = {
    handle: async (request: { body?: unknown }) => {
      const params = new URLSearchParams(String(request.body ?? ''));
      const body = this.answer(params);
      return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) } };
    },
  };

  private answer(params: URLSearchParams): string {
    const action = params.get('Action');
    if (action === 'DescribeVolumes') {
      const max = Number(params.get('MaxResults') ?? '500');
      const start = Number(params.get('NextToken') ?? '0');
      const page = this.volumes.slice(start, start + max);
      const next = start + max < this.volumes.length ? `<nextToken>${start + max}</nextToken>` : '';
      const items = page.map((volume) => `<item><volumeId>${volume.id}</volumeId><status>in-use</status><attachmentSet/>${tagSet(volume.tags)}</item>`).join('');
      return `<DescribeVolumesResponse><requestId>r</requestId><volumeSet>${items}</volumeSet>${next}</DescribeVolumesResponse>`;
    }
    if (action === 'DescribeInstances') return '<DescribeInstancesResponse><requestId>r</requestId><reservationSet/></DescribeInstancesResponse>';
    if (action === 'DescribeSnapshots') return '<DescribeSnapshotsResponse><requestId>r</requestId><snapshotSet/></DescribeSnapshotsResponse>';
    if (action === 'CreateSnapshot') {
      const tags: Record<string, string> = {};
      for (let index = 1; params.has(`TagSpecification.1.Tag.${index}.Key`); index += 1) {
        tags[params.get(`TagSpecification.1.Tag.${index}.Key`) ?? ''] = params.get(`TagSpecification.1.Tag.${index}.Value`) ?? '';
      }
      this.sequence += 1;
      const snapshot = { id: `snap-${this.sequence.toString(16).padStart(17, '0')}`, volumeId: params.get('VolumeId') ?? '', tags };
      this.snapshots.push(snapshot);
      return `<CreateSnapshotResponse><requestId>r</requestId><snapshotId>${snapshot.id}</snapshotId><volumeId>${snapshot.volumeId}</volumeId><status>pending</status>${tagSet(tags)}</CreateSnapshotResponse>`;
    }
    throw new Error(`the simulated EC2 does not answer ${action}`);
  }
}
