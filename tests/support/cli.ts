import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type CliIo } from '../../cli/main.js';

/** Runs the CLI in-process and captures what it prints and its exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}, now = new Date('2026-11-26T15:30:00Z')) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text), env: { ...env }, now: () => now };
  const code = await main(argv, io);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

/**
 * A CLI runner over a plans file written for the test, with fake credentials (the test mocks every client), a fixed
 * clock and no waiting between polls; `env` adds to its environment.
 */
export function cliWithPlans(plansYaml: string, now: Date) {
  const plansFile = join(mkdtempSync(join(tmpdir(), 'bo-cli-')), 'plans.yml');
  writeFileSync(plansFile, plansYaml);
  return async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const io: CliIo = {
      stdout: (text) => stdout.push(text),
      stderr: (text) => stderr.push(text),
      env: { PLANS_FILE: plansFile, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', ...env },
      now: () => now,
      sleep: async () => undefined,
    };
    const code = await main(argv, io);
    return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
  };
}
