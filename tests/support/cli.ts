import { main, type CliIo } from '../../cli/main.js';

/** Runs the CLI in-process and captures what it prints and its exit code. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = {}, now = new Date('2026-11-26T15:30:00Z')) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { stdout: (text) => stdout.push(text), stderr: (text) => stderr.push(text), env: { ...env }, now: () => now };
  const code = await main(argv, io);
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}
