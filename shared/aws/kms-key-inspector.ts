import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { KeyDescription } from '../domain/copies.js';
import type { KeyInspector } from '../use-cases/copy-snapshots.js';

/** DescribeKey in the destination Region: whether the key of a copy rule exists, and its state and kind. */
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
      const name = (error as { name?: string }).name ?? 'Error';
      if (name === 'NotFoundException') return { found: false, reason: `it does not exist in ${region}` };
      // Access denied, a malformed id…: the copy would fail the same way, so it is the key's problem too.
      return { found: false, reason: `DescribeKey in ${region} failed with ${name}: ${(error as Error).message}` };
    }
  }
}
