import type { Plan, ResourceType } from './plan-schema.js';
import { TAG, type Tags } from './recovery-point-tags.js';

/**
 * Whether a plan protects a resource: the type is one the plan selects and the selection tag carries one
 * of its values. Resources this stack created (drill restores carry our ownership tag) are never selected.
 */
export function planSelects(plan: Plan, resource: { type: ResourceType; tags: Tags }): boolean {
  if (!plan.selection.resourceTypes.includes(resource.type) || TAG.stack in resource.tags) return false;
  const value = resource.tags[plan.selection.tagKey];
  return value !== undefined && plan.selection.tagValues.includes(value);
}
