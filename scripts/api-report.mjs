#!/usr/bin/env node
// The API reports under api/: one per entry point of package.json "exports",
// made by API Extractor (settings in api-extractor.json) from the built
// declarations in dist/. A new entry point in "exports" gets its report with
// no change here.
//
//   npm run api:check   build, then fail with a diff when dist/ differs from api/
//   npm run api         build, then rewrite api/ from dist/
//   (node scripts/api-report.mjs [--local] does the same on the dist/ there is)
//
// API Extractor analyses one entry point at a time, so a type that another
// entry point of this package exports (recipes take the `Client` of herd-zk)
// would be reported as a forgotten export. This script rewrites those lines
// to say where the type is exported, which is why it compares the reports
// itself instead of leaving that to API Extractor.
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const reportFolder = join(root, 'api');
// A check writes the reports it compared here, to read or copy.
const workFolder = join(root, 'build', 'api');
// API Extractor's own copy of each report (api-extractor.json says so).
const extractorFolder = join(workFolder, 'extractor');
const packageJsonPath = join(root, 'package.json');
const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8'));

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--local');
if (unknown.length > 0) {
  console.error(`api-report: unknown argument ${unknown.join(' ')}; usage: node scripts/api-report.mjs [--local]`);
  process.exit(2);
}
const localBuild = args.includes('--local');

/**
 * The entry points: every key of "exports" with a "types" condition, named
 * for its report: "." is herd-zk.api.md, "./recipes" herd-zk-recipes.api.md.
 */
const entryPoints = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === 'object' && typeof target.types === 'string')
  .map(([subpath, target]) => ({
    subpath,
    importName: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`,
    types: resolve(root, target.types),
    reportName: [pkg.name, ...subpath.replace(/^\.\/?/, '').split('/').filter(Boolean)].join('-'),
  }));

const missing = entryPoints.filter((e) => !existsSync(e.types));
if (missing.length > 0) {
  for (const e of missing) console.error(`api-report: ${relative(root, e.types)} (for "${e.subpath}") does not exist`);
  console.error('api-report: run `npm run build` first');
  process.exit(1);
}

// api-extractor.json holds the settings; each entry point sets its own input and report name.
const configFile = join(root, 'api-extractor.json');
const configFor = (entry) => {
  const configObject = ExtractorConfig.loadFile(configFile);
  configObject.mainEntryPointFilePath = entry.types;
  configObject.apiReport.reportFileName = entry.reportName;
  return ExtractorConfig.prepare({ configObject, configObjectFullPath: configFile, packageJsonFullPath: packageJsonPath });
};

const configs = entryPoints.map(configFor);
// One TypeScript program for all entry points: analysing it is most of the time.
const compilerState = CompilerState.create(configs[0], {
  additionalEntryPoints: entryPoints.map((e) => e.types),
});

/** The names each entry point exports, read from the same program. */
function exportedNames(entry) {
  const program = /** @type {import('typescript').Program} */ (compilerState.program);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry.types);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`api-report: no module symbol for ${relative(root, entry.types)}`);
  return new Set(checker.getExportsOfModule(moduleSymbol).map((s) => s.name));
}
const exportsOf = new Map(entryPoints.map((e) => [e, exportedNames(e)]));

const FORGOTTEN = /^(\s*)\/\/ Warning: \(ae-forgotten-export\) The symbol "([^"]+)" needs to be exported by the entry point .*$/gm;

/**
 * The report as committed: titled with the entry point's import name (API
 * Extractor titles every one with the package name), and a "forgotten" type
 * that a sibling entry point exports says which one (matched by name).
 */
function finishReport(report, entry) {
  return report
    .replace(/^## API Report File for "[^"]*"/, `## API Report File for "${entry.importName}"`)
    .replace(FORGOTTEN, (line, indent, name) => {
      const owner = entryPoints.find((other) => other !== entry && exportsOf.get(other).has(name));
      return owner ? `${indent}// "${name}" is exported by ${owner.importName}` : line;
    });
}

// Only what needs attention is printed: warnings and errors.
const messageCallback = (message) => {
  if (message.logLevel === 'info' || message.logLevel === 'verbose') message.handled = true;
};
// Every warning counts: a check fails on one, as API Extractor's own
// non-local run does.
let problems = 0;

const changed = [];
mkdirSync(reportFolder, { recursive: true });
mkdirSync(extractorFolder, { recursive: true });
for (const [i, config] of configs.entries()) {
  const entry = entryPoints[i];
  const result = Extractor.invoke(config, { localBuild: true, compilerState, messageCallback });
  problems += result.errorCount + result.warningCount;
  const fileName = `${entry.reportName}.api.md`;
  const report = finishReport(readFileSync(join(extractorFolder, fileName), 'utf8'), entry);
  const committedPath = join(reportFolder, fileName);
  const committed = existsSync(committedPath) ? readFileSync(committedPath, 'utf8').replace(/\r\n/g, '\n') : undefined;
  if (committed === report) continue;
  changed.push(fileName);
  if (localBuild) {
    writeFileSync(committedPath, report);
    console.log(`api-report: ${committed === undefined ? 'created' : 'updated'} api/${fileName}`);
  } else {
    const fresh = join(workFolder, fileName);
    writeFileSync(fresh, report);
    if (committed === undefined) {
      console.error(`api-report: api/${fileName} is missing (the report of "${entry.subpath}" is ${relative(root, fresh)})`);
    } else {
      const diff = spawnSync('diff', ['-u', '--label', `api/${fileName} (committed)`, '--label', `${relative(root, fresh)} (dist/)`, committedPath, fresh], {
        encoding: 'utf8',
      });
      console.error(`api-report: the public API of ${entry.importName} differs from api/${fileName}:`);
      console.error(diff.stdout || `(no diff printed: ${diff.error?.message ?? diff.stderr}; compare ${relative(root, fresh)})`);
    }
  }
}

// A report whose entry point left "exports" would otherwise linger unchecked.
const expected = new Set(entryPoints.map((e) => `${e.reportName}.api.md`));
for (const file of readdirSync(reportFolder).filter((f) => f.endsWith('.api.md') && !expected.has(f))) {
  changed.push(file);
  if (localBuild) {
    rmSync(join(reportFolder, file));
    console.log(`api-report: removed api/${file} (no entry point in package.json "exports")`);
  } else {
    console.error(`api-report: api/${file} belongs to no entry point of package.json "exports"`);
  }
}

if (problems > 0) {
  console.error(`api-report: API Extractor reported ${problems} problem(s) above; fix them in src/`);
  process.exit(1);
}
if (!localBuild && changed.length > 0) {
  console.error('api-report: if the change of the public API is intended, run `npm run api` and commit api/.');
  process.exit(1);
}
console.log(
  localBuild
    ? `api-report: ${entryPoints.length} report(s) in api/, ${changed.length} changed`
    : `api-report: the ${entryPoints.length} report(s) in api/ match dist/`,
);
