import type { DailyReportDeps } from '../use-cases/daily-report.js';
import { activityLogOf } from './activity-log.js';
import { dlmClient, ec2Client, rdsClient } from './clients.js';
import { listDlmTargets } from './dlm-coverage.js';
import { listAllResources } from './resource-inventory.js';
import { SnapshotCatalog } from './snapshot-catalog.js';

/** Where the daily report reads from, wired to the default clients (the handler and the CLI share it). */
export function reportSources(settings: {
  stack: string;
  primaryRegion: string;
  endpoint?: string;
  activityTable?: string;
}): Pick<DailyReportDeps, 'inventory' | 'snapshots' | 'activity' | 'dlmTargets'> {
  const at = (region: string) => ({ region, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) });
  const primary = at(settings.primaryRegion);
  const activityLog = activityLogOf({ ...settings, region: settings.primaryRegion });
  return {
    inventory: () => listAllResources(ec2Client(primary), rdsClient(primary)),
    snapshots: (region) => new SnapshotCatalog(ec2Client(at(region)), rdsClient(at(region)), region).listOurs({ stack: settings.stack }),
    activity: (from, to) => (activityLog ? activityLog.list(from, to) : Promise.resolve([])),
    dlmTargets: () => listDlmTargets(dlmClient(primary)),
  };
}
