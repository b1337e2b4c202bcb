import type { CopyBackend, KeyInspector } from '../use-cases/copy-snapshots.js';
import { ec2Client, kmsClient, rdsClient } from './clients.js';
import { AwsCopyBackend } from './copy-backend.js';
import { KmsKeyInspector } from './kms-key-inspector.js';

/** The copy use cases' adapters wired to the default clients, in whatever Region each call needs. */
export function copyAdapters(settings: { endpoint?: string }): { backend: CopyBackend; keys: KeyInspector } {
  const endpoint = settings.endpoint ? { endpoint: settings.endpoint } : {};
  return {
    backend: new AwsCopyBackend({
      ec2: (region) => ec2Client({ region, ...endpoint }),
      rds: (region) => rdsClient({ region, ...endpoint }),
    }),
    keys: new KmsKeyInspector((region) => kmsClient({ region, ...endpoint })),
  };
}
