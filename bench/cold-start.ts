/**
 * Cold start per function: each handler bundled with esbuild exactly as serverless.yml bundles it (ESM,
 * minified, Node 24, the createRequire banner, the plans file built in), its size, and the time a fresh
 * Node process takes to import it (median of several runs) over the time to import a bundle holding only
 * the SDK clients the function uses, each built once; and the milliseconds the function adds to that import,
 * which, unlike the ratio, does not shrink as the function's SDK clients grow.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, type Tags } from 'yaml';
import { loadStackVariables } from '../infra/stack-variables.js';
import { median, quantile } from './scaled-clock.js';

export interface ColdStartFigure {
  fn: string;
  bytes: number;
  clients: string[];
  importMs: number;
  clientsOnlyMs: number;
  /** Milliseconds the function adds to its SDK clients' import: the median of the pairs' differences. */
  overheadMs: number;
  ratio: number;
  /** The middle half of the pairs' ratios: how far one pair strays on this machine. */
  ratioQuartiles: [number, number];
  error?: string;
}

const ROOT = resolve(import.meta.dirname, '..');
const BANNER = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
const CLIENT_CLASS: Record<string, string> = {
  'client-ec2': 'EC2Client',
  'client-rds': 'RDSClient',
  'client-kms': 'KMSClient',
  'client-sns': 'SNSClient',
  'client-sqs': 'SQSClient',
  'client-dynamodb': 'DynamoDBClient',
  'client-dlm': 'DLMClient',
  'client-lambda': 'LambdaClient',
  'client-sfn': 'SFNClient',
};

async function bundle(entry: { file?: string; contents?: string }, outfile: string) {
  return build({
    ...(entry.file ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents ?? '', resolveDir: ROOT, loader: 'js' } }),
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    banner: { js: BANNER },
    mainFields: ['module', 'main'],
    define: loadStackVariables(readFileSync(join(ROOT, 'backup-plans.yml'), 'utf8'), 'backup-plans.yml').esbuildDefine,
    metafile: true,
    logLevel: 'silent',
  });
}

/** CloudFormation's short forms in the function files, read as placeholder text. */
const CFN_TAGS: Tags = ['!Ref', '!GetAtt', '!Sub'].map((tag) => ({ tag, resolve: (value: string) => `bench-${value}` }));

/** Milliseconds a fresh Node process spends importing the file (module scope included), with the function's environment. */
function importOnce(file: string, environment: Record<string, string>): { ms: number; error?: string } {
  const probe = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  // Values the framework fills in at deploy time (${param:...}) are left to the function's own defaults.
  const concrete = Object.fromEntries(Object.entries(environment).filter(([, value]) => typeof value === 'string' && !value.includes('${')));
  const env = { ...concrete, PATH: process.env.PATH, HOME: tmpdir(), STACK_NAME: 'backup-orchestrator-bench', AWS_REGION: 'eu-west-1', POWERTOOLS_DEV: 'false' };
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8' });
  if (result.status !== 0) return { ms: Number.NaN, error: result.stderr.split('\n').find((line) => /Error/.test(line)) ?? result.stderr.slice(0, 200) };
  return { ms: Number(result.stdout) };
}

/**
 * Import times of the function's bundle and of its SDK-clients-only bundle, measured in pairs, one of each
 * back to back (the first of the pair alternating), so that load from elsewhere on the machine weighs on both
 * alike. The ratio is the median of the pairs' ratios; the times are the medians of each.
 */
function importTimes(file: string, baseline: string, runs: number, environment: Record<string, string>): { ms: number; baselineMs: number; overheadMs: number; ratio: number; ratioQuartiles: [number, number]; error?: string } {
  const times: number[] = [];
  const baselineTimes: number[] = [];
  const ratios: number[] = [];
  const overheads: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const [first, second] = run % 2 === 0 ? [file, baseline] : [baseline, file];
    const one = importOnce(first, environment);
    const other = importOnce(second, environment);
    const [measured, base] = run % 2 === 0 ? [one, other] : [other, one];
    if (measured.error) return { ms: Number.NaN, baselineMs: Number.NaN, overheadMs: Number.NaN, ratio: Number.NaN, ratioQuartiles: [Number.NaN, Number.NaN], error: measured.error };
    times.push(measured.ms);
    baselineTimes.push(base.ms);
    ratios.push(measured.ms / base.ms);
    overheads.push(measured.ms - base.ms);
  }
  return { ms: median(times), baselineMs: median(baselineTimes), overheadMs: median(overheads), ratio: median(ratios), ratioQuartiles: [quantile(ratios, 0.25), quantile(ratios, 0.75)] };
}

export async function benchColdStart(runs = 31): Promise<ColdStartFigure[]> {
  const folder = mkdtempSync(join(tmpdir(), 'bo-cold-start-'));
  const figures: ColdStartFigure[] = [];
  try {
    for (const file of readdirSync(join(ROOT, 'infra/functions')).filter((name) => name.endsWith('.yml')).sort()) {
      const definition = parse(readFileSync(join(ROOT, 'infra/functions', file), 'utf8'), { customTags: CFN_TAGS }) as Record<string, { handler: string; environment?: Record<string, string> }>;
      for (const [fn, { handler, environment = {} }] of Object.entries(definition)) {
        const entry = join(ROOT, `${handler.replace(/\.[^.]+$/, '')}.ts`);
        const out = join(folder, `${fn}.mjs`);
        const result = await bundle({ file: entry }, out);
        const clients = [
          ...new Set(
            // Only the modules that made it into the bundle (tree shaking drops the clients a function never builds).
            Object.entries(Object.values(result.metafile?.outputs ?? {})[0]?.inputs ?? {}).flatMap(([input, { bytesInOutput }]) => {
              if (!bytesInOutput) return [];
              const match = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
              return match?.[1] && CLIENT_CLASS[match[1]] ? [match[1]] : [];
            }),
          ),
        ].sort();
        const only = join(folder, `${fn}.clients.mjs`);
        // Each client built once, as any function that uses it must: the SDK's own cost of a client is its import and its construction.
        const contents = clients.map((name, index) => `import { ${CLIENT_CLASS[name]} as C${index} } from '@aws-sdk/${name}';`).join('\n') + `\nexport const clients = [${clients.map((_, index) => `new C${index}({ region: 'eu-west-1' })`).join(', ')}];\n`;
        await bundle({ contents }, only);
        const measured = importTimes(out, only, runs, environment);
        figures.push({
          fn,
          bytes: statSync(out).size,
          clients: clients.map((name) => name.replace('client-', '')),
          importMs: measured.ms,
          clientsOnlyMs: measured.baselineMs,
          overheadMs: measured.overheadMs,
          ratio: measured.ratio,
          ratioQuartiles: measured.ratioQuartiles,
          ...(measured.error ? { error: measured.error } : {}),
        });
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  writeFileSync(join(tmpdir(), 'bo-cold-start.json'), JSON.stringify(figures, null, 2));
  return figures;
}
