#!/usr/bin/env node
// Builds the dashboard's browser UI (src/dashboard/ui) into static assets:
// type-checks it (its own tsconfig: DOM, JSX for Preact), bundles it with
// esbuild (Preact, uPlot and the CSS into app.js and app.css: no CDN, nothing
// fetched at run time) and copies index.html. The package ships the result;
// its users run no build step.
//
//   node scripts/build-dashboard.mjs [outdir]     default dist/dashboard/assets
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const ui = join(root, 'src', 'dashboard', 'ui');
const outdir = resolve(root, process.argv[2] ?? 'dist/dashboard/assets');

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ui, 'tsconfig.json')], { stdio: 'inherit' });
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { app: join(ui, 'main.tsx') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: false,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'eof',
  logLevel: 'warning',
});
copyFileSync(join(ui, 'index.html'), join(outdir, 'index.html'));
