/**
 * README.md:12-13: "`pipx install "moto[server]==5.2.1" cfn-lint` — `npm test` tries that for you and says so
 * plainly if it cannot." `npm test` runs bin/ensure-test-tools.sh first (package.json "pretest").
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve('bin/ensure-test-tools.sh');
let bin: string;

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'bo-test-tools-'));
  // A machine without moto_server and cfn-lint whose pipx cannot reach PyPI.
  writeFileSync(join(bin, 'pipx'), '#!/bin/bash\necho "pipx: No matching distribution found for $2" >&2\nexit 1\n');
  chmodSync(join(bin, 'pipx'), 0o755);
});

afterAll(() => rmSync(bin, { recursive: true, force: true }));

describe('bin/ensure-test-tools.sh (npm pretest)', () => {
  it('says plainly what is missing and how to install it when pipx cannot install it', () => {
    const run = spawnSync('/bin/bash', [SCRIPT], { env: { PATH: bin }, encoding: 'utf8' });

    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('error: moto_server is still missing. Install it with: pipx install "moto[server]==5.2.1" cfn-lint');
  });
});
