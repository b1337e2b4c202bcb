import type { Plan, ResourceType } from './plan-schema.js';
import { TAG, type Tags } from './recovery-point-tags.js';

/**
 * True for a drill's restore (it carries a drill id): a stack's own, short-lived resource, never backed up or
 * counted as unprotected. Our ownership tag alone does not say so: a database restored by hand from one of our
 * snapshots may carry the snapshot's tags, and is a resource to protect like any other.
 */
export function isDrillRestore(tags: Tags): boolean {
  return TAG.drillId in tags;
}

/**
 * Whether a plan protects a resource: the type is one the plan selects and the selection tag carries one
 * of its values. Drill restores are never selected.
 */
export function planSelects(plan: Plan, resource: { type: ResourceType; tags: Tags }): boolean {
  if (!plan.selection.resourceTypes.includes(resource.type) || isDrillRestore(resource.tags)) return false;
  const value = resource.tags[plan.selection.tagKey];
  return value !== undefined && plan.selection.tagValues.includes(value);
}
