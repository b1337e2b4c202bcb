import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyDescription } from '../domain/copies.js';
import { classifyFailure } from '../domain/failure-classification.js';
import type { KeyInspector } from '../use-cases/copy-snapshots.js';

/**
 * DescribeKey in the destination Region: whether the key of a copy rule exists, and its state and kind. A
 * passing failure (a throttle, a 5xx, no connection) says nothing about the key and is thrown, so the copy is
 * tried again; any other refusal (not found, access denied, a malformed id, credentials the Region refuses)
 * will refuse the copy the same way, so the key is reported unusable, with why.
 */
export class KmsKeyInspector implements KeyInspector {
  constructor(private readonly kms: (region: string) => KMSClient) {}

  async describeKey(region: string, keyId: string): Promise<KeyDescription> {
    try {
      const { KeyMetadata: key } = await this.kms(region).send(new DescribeKeyCommand({ KeyId: keyId }));
      if (!key?.Arn) return { found: false, reason: `DescribeKey in ${region} returned no key` };
      return {
        found: true,
        arn: key.Arn,
        keyState: key.KeyState ?? (key.Enabled ? 'Enabled' : 'Disabled'),
        ...(key.KeyUsage ? { keyUsage: key.KeyUsage } : {}),
        ...(key.KeySpec ? { keySpec: key.KeySpec } : {}),
      };
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind === 'transient') throw error;
      if (failure.name === 'NotFoundException') return { found: false, reason: `it does not exist in ${region}` };
      return { found: false, reason: `DescribeKey in ${region} failed with ${failure.name}: ${failure.message}` };
    }
  }
}
