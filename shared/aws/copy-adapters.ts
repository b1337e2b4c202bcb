import type { CopyBackend, KeyInspector } from '../use-cases/copy-snapshots.js';
import { ec2Client, kmsClient, rdsClient, sqsClient } from './clients.js';
import { AwsCopyBackend } from './copy-backend.js';
import { SqsCopyBacklog } from './copy-backlog-queue.js';
import { KmsKeyInspector } from './kms-key-inspector.js';

/** The copy use cases' adapters wired to the default clients, in whatever Region each call needs. */
export function copyAdapters(settings: { endpoint?: string }): { backend: CopyBackend; keys: KeyInspector } {
  const endpoint = settings.endpoint ? { endpoint: settings.endpoint } : {};
  return {
    backend: new AwsCopyBackend({
      ec2: (region) => ec2Client({ region, ...endpoint }),
      rds: (region) => rdsClient({ region, ...endpoint }),
      // CopySnapshot takes no client token: never resent by the SDK (see RegionalClients.ec2Copies).
      ec2Copies: (region) => ec2Client({ region, ...endpoint, maxAttempts: 1 }),
    }),
    keys: new KmsKeyInspector((region) => kmsClient({ region, ...endpoint })),
  };
}

/** The copy backlog queue (COPY_BACKLOG_QUEUE_URL), or undefined outside the stack: then the reconciler starts what waits. */
export function copyBacklogOf(env: { region: string; endpoint?: string }, queueUrl = process.env.COPY_BACKLOG_QUEUE_URL): SqsCopyBacklog | undefined {
  if (!queueUrl) return undefined;
  return new SqsCopyBacklog(sqsClient({ region: env.region, ...(env.endpoint ? { endpoint: env.endpoint } : {}) }), queueUrl);
}
