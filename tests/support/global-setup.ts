/**
 * Jest global setup: the integration tests need moto_server (Python moto 5.2.1, server extra).
 * Fail the whole run loudly when it is missing rather than letting tests pass or skip silently.
 * Self-contained on purpose (no relative imports): global setup is loaded outside jest's module
 * mapping.
 */
import { spawnSync } from 'node:child_process';

const INSTALL = 'pipx install "moto[server]==5.2.1"  (or: pip install "moto[server]==5.2.1")';

export default async function globalSetup(): Promise<void> {
  const res = spawnSync('moto_server', ['--help'], { encoding: 'utf8', timeout: 30_000 });
  if (res.error || res.status !== 0) {
    const why = res.error
      ? (res.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'moto_server is not on PATH'
        : `moto_server --help failed: ${res.error.message}`
      : `moto_server --help exited with status ${res.status}: ${(res.stderr || res.stdout || '').trim().slice(-1_000)}`;
    throw new Error(
      `${why}. The integration tests need moto 5.2.1 with its server extra. Install it with: ${INSTALL}`,
    );
  }
}
