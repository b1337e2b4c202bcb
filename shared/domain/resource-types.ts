/**
 * The resource kinds a plan can protect, named as the user writes them. A module of its own so that code
 * which needs only the names (event and drill schemas, the report) does not load the plans schema.
 */
export const RESOURCE_TYPES = ['ebs-volume', 'ec2-instance', 'rds-instance', 'aurora-cluster'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];
