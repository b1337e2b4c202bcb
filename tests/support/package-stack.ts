import { afterAll, beforeAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface PackageResult {
  status: number | null;
  output: string;
  folder: string;
  template?: CloudFormationTemplate;
}

export interface CloudFormationTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DependsOn?: unknown }>;
  Outputs?: Record<string, unknown>;
}

/**
 * Runs `osls package` offline, exactly as a user would before deploying, into a fresh folder. No AWS
 * credentials are passed: packaging must not need an account.
 */
export function packageStack(options: { plansFile?: string; stage?: string; params?: Record<string, string> } = {}): PackageResult {
  const folder = mkdtempSync(join(tmpdir(), 'bo-package-'));
  const env: NodeJS.ProcessEnv = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' };
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'PLANS_FILE']) delete env[key];
  const args = ['osls', 'package', '--stage', options.stage ?? 'ci', '--package', folder];
  // Deploy parameters, as a user passes them: --param="alertEmails=a@b,c@d".
  for (const [key, value] of Object.entries(options.params ?? {})) args.push(`--param=${key}=${value}`);
  if (options.plansFile) env.PLANS_FILE = options.plansFile;
  const run = spawnSync('npx', args, { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  const templatePath = join(folder, 'cloudformation-template-update-stack.json');
  return {
    status: run.status,
    output: `${run.stdout}\n${run.stderr}`,
    folder,
    ...(existsSync(templatePath) ? { template: JSON.parse(readFileSync(templatePath, 'utf8')) as CloudFormationTemplate } : {}),
  };
}

/**
 * Packages the stack once for the test file (in beforeAll: `osls package` takes seconds) and removes the
 * package when the file is done; hands `use` the result, whose template must exist.
 */
export function usePackagedStack(use: (packaged: PackageResult & { template: CloudFormationTemplate }) => void, options: Parameters<typeof packageStack>[0] = {}): void {
  let packaged: PackageResult | undefined;
  beforeAll(() => {
    packaged = packageStack(options);
    if (!packaged.template) throw new Error(`osls package failed:\n${packaged.output}`);
    use({ ...packaged, template: packaged.template });
  }, 300_000);
  afterAll(() => {
    if (packaged) rmSync(packaged.folder, { recursive: true, force: true });
  });
}
