/**
 * `npm run bench`: measures speed and scale and prints figures and ratios. No pass/fail: the numbers go in
 * the issue notes. Nothing here reaches AWS: every figure comes from local code, simulators or moto.
 */
import { benchRetentionPlanner } from './retention-planner.js';

function table(rows: Array<[string, string, string]>): string {
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')).join('\n');
}

const rows: Array<[string, string, string]> = [['benchmark', 'figure', 'detail']];

process.stdout.write('retention planner: 100,000 points over 2,000 resources…\n');
const planner = benchRetentionPlanner();
rows.push([
  'retention planner',
  `${planner.medianMs.toFixed(0)} ms`,
  `median of ${planner.runs} runs; ${planner.points} points, ${planner.resources} resources, GFS 24h/7d/4w/12m/3y; ${Math.round(planner.pointsPerSecond).toLocaleString('en')} points/s; ${planner.deleted} to delete`,
]);

process.stdout.write(`\n${table(rows)}\n`);
