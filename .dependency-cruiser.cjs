// Folders import one way: each layer may import only itself and the layers listed below it.
// `npm run lint` runs this; a new folder must be placed in LAYERS before anything may import it.
const LAYERS = [
  ['core'], // shared types and errors: Tenant, FleetEvent, ErrorInfo, redact
  ['util'], // small pure helpers
  ['dialect'], // the session contract and every dialect's SQL and tools
  ['inventory'], // where tenants come from
  ['journal'], // the durable run record
  ['fleet'], // the engine: scheduler, run, report fold
  ['migration', 'backup', 'optimization'], // the per-tenant work, each with its fleet commands
  ['lint', 'drift'], // pre-flight checks over the migrations and the tenants' schemas
  ['upgrade'], // the whole runbook: combines all of the above
  ['queue'], // many machines: a coordinator enqueues tenant jobs, queue workers run them
  ['report'], // reads the journal
  ['config'], // turns a config file into run options
  ['demo', 'scaffold'], // a demo fleet; a starter project (dbfleet init)
  ['cli'],
];

const levelOf = new Map(LAYERS.flatMap((names, level) => names.map((name) => [name, level])));
const layerRules = LAYERS.flatMap((names, level) => {
  const higher = LAYERS.slice(level).flat();
  return names.map((name) => ({
    name: `layer-${name}`,
    comment: `src/${name} may not import a folder above it (${higher.filter((n) => n !== name).join(', ') || 'none'})`,
    severity: 'error',
    from: { path: `^src/${name}/` },
    to: { path: `^src/(${higher.filter((n) => n !== name).join('|') || '$^'})/` },
  }));
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'modules import one way; a cycle means a shared part belongs lower down',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'dialects-stay-apart',
      comment: 'a dialect never imports another dialect (only src/dialect/registry.ts knows them all)',
      severity: 'error',
      from: { path: '^src/dialect/([^/]+)/' },
      to: { path: '^src/dialect/([^/]+)/', pathNot: '^src/dialect/$1/' },
    },
    {
      name: 'library-without-cli',
      comment: 'the library never reaches into the CLI',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'unknown-folder',
      comment: 'every folder of src/ has a place in LAYERS',
      severity: 'error',
      from: { path: `^src/(?!(${[...levelOf.keys()].join('|')})/)[^/]+/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
