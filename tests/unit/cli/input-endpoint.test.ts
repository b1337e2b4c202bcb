/**
 * README.md:430-433: exit 2 for "a ... URL that is not one ... refused before any AWS call". cli/main.ts:156 only
 * checks that --endpoint starts like a URL (/^https?:\/\/[^\s/]+/), so a URL the SDK cannot parse passes and the
 * command fails later at its first call with exit 1 ("TypeError: Invalid URL").
 * No call can leave this machine: the SDK rejects the endpoint before it signs or sends anything.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';

let plansFile: string;

beforeAll(() => {
  // Fake credentials where the SDK reads them, so the run gets as far as the endpoint (as an operator's would).
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_PROFILE;
  plansFile = join(mkdtempSync(join(tmpdir(), 'bo-readme-endpoint-')), 'plans.yml');
  writeFileSync(
    plansFile,
    `version: 1
primaryRegion: eu-west-1
plans:
  - id: gold
    selection: { resourceTypes: [ebs-volume] }
    schedule: { expression: cron(0 */4 * * ? *) }
    rpo: 8h
    rto: 1h
    retention: { count: 7 }
`,
  );
});

describe('an --endpoint that is not a URL is bad input (exit 2)', () => {
  it.each(['http://127.0.0.1:notaport', 'http://127.0.0.1:5000 oops', 'http://[::1'])('refuses --endpoint %s with exit 2', async (endpoint) => {
    const run = await runCli(['backup', 'run', '--plan', 'gold', '--plans', plansFile, '--dry-run', '--endpoint', endpoint], { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 2, stderr: expect.stringContaining('--endpoint') });
  });
});
