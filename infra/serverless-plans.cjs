// Bridges serverless.yml to the TypeScript plans code: esbuild bundles infra/stack-variables.ts on the fly
// (no build step, works offline) and serverless.yml reads its exports as ${file(./infra/serverless-plans.cjs):name}.
const { buildSync } = require('esbuild');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
let cache;

function compile() {
  const { outputFiles } = buildSync({
    entryPoints: [path.join(__dirname, 'stack-variables.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const compiled = new Module(path.join(__dirname, 'stack-variables.bundle.cjs'));
  compiled.paths = Module._nodeModulePaths(root);
  compiled._compile(outputFiles[0].text, compiled.id);
  return compiled.exports;
}

async function variables({ resolveVariable }) {
  const configured = await resolveVariable('self:custom.plansFile');
  const file = path.resolve(root, configured);
  const key = file;
  if (!cache || cache.key !== key) {
    let source;
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the plans file ${configured}: ${error.message}`, { cause: error });
    }
    cache = { key, value: compile().loadStackVariables(source, configured) };
  }
  return cache.value;
}

module.exports = {
  primaryRegion: async (context) => (await variables(context)).primaryRegion,
  esbuildDefine: async (context) => (await variables(context)).esbuildDefine,
  resources: async (context) => (await variables(context)).resources,
  copyTargets: async (context) => (await variables(context)).copyTargets,
  copyKeysPolicy: async (context) => (await variables(context)).copyKeysPolicy,
  // Email subscriptions of the notifications topic from --param="alertEmails=a@b,c@d" (none when unset).
  alertSubscriptions: async ({ resolveVariable }) => compile().alertSubscriptionResources(await resolveVariable("param:alertEmails, ''")),
};
