import * as z from 'zod/mini';
import { parseEntryPayload, parseJsonBody } from './entry-payload.js';
import { RESOURCE_TYPES, type ResourceType } from './resource-types.js';
import type { Tags } from './recovery-point-tags.js';

/**
 * One resource still to snapshot in a slot, as the scheduled run hands it to the snapshot workers (one SQS
 * message each): everything the create needs, the recovery point's tags included.
 */
export interface SnapshotWorkItem {
  planId: string;
  /** The slot as tagged, e.g. `2026-11-26T11:00Z`. */
  slot: string;
  resourceId: string;
  type: ResourceType;
  tags: Tags;
  /**
   * Why the scheduled run found the resource not ready, in a state that passes by itself (an RDS instance
   * backing-up in its backup window): the worker tries again while the create is refused for that state.
   */
  notReady?: string;
}

const workItemSchema = z.strictObject(
  {
    planId: z.string({ error: 'planId must be a plan id string' }).check(z.minLength(1, { error: 'planId must not be empty' })),
    slot: z.string({ error: 'slot must be text' }).check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/, { error: 'slot must look like 2026-11-26T11:00Z' })),
    resourceId: z.string({ error: 'resourceId must be text' }).check(z.minLength(1, { error: 'resourceId must not be empty' })),
    type: z.enum(RESOURCE_TYPES, { error: `type must be one of ${RESOURCE_TYPES.join(', ')}` }),
    tags: z.record(z.string(), z.string({ error: 'tags must map tag keys to text values' }), { error: 'tags must map tag keys to text values' }),
    notReady: z.optional(z.string({ error: 'notReady must be text' })),
  },
);

/** Parses one work queue message body; anything else is a BadInputError naming every wrong field. */
export function parseSnapshotWorkItem(body: string): SnapshotWorkItem {
  const data = parseJsonBody(body, 'the snapshot worker received a message that is not JSON');
  return parseEntryPayload(workItemSchema, data, 'the snapshot worker received a message that is not a work item');
}
