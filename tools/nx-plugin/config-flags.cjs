#!/usr/bin/env node
// Prints the CLI flags of one step that come from the datasmith config chosen by DATASMITH_CONFIG
// (default datasmith.config.json, relative to the current directory: the workspace root in a target).
//   node tools/nx-plugin/config-flags.cjs classify   ->   --backend llm --model gpt-x
// Unset keys print nothing, so the CLI's defaults (the same as the config schema's) apply.
//
// Why this exists: Nx hashes a project's whole configuration (every target's options) into each of
// its tasks, so a step-specific value written into classify's command would also re-run collect and
// prepare of every repository. The command reads its flags here at run time instead, and the target
// hashes only its own config section with a `json` input (spec §2, semantic 3).
'use strict';
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');

/** config key -> CLI flag, per step. */
const FLAGS = {
  prepare: { gateMode: '--gate-mode', gateShare: '--gate-share' },
  classify: { backend: '--backend', model: '--model', rulesModel: '--rules-model' },
  synthesize: { backend: '--backend', online: '--online', asvSource: '--asv-source', releases: '--releases' },
  verify: {
    passes: '--passes',
    maxBenchmarks: '--max-benchmarks',
    maxParamSets: '--max-param-sets',
    verifyMinutes: '--verify-minutes',
    factor: '--factor',
    maxForeignShare: '--max-foreign-share',
    untracedFactor: '--untraced-factor',
  },
};

const step = process.argv[2] ?? '';
const file = resolve(process.env.DATASMITH_CONFIG || 'datasmith.config.json');
function fail(message) {
  process.stderr.write(`config-flags: ${message}\n`);
  process.exit(1);
}
if (!(step in FLAGS)) fail(`unknown step ${JSON.stringify(step)}; expected one of ${Object.keys(FLAGS).join(', ')}`);
let section;
try {
  section = JSON.parse(readFileSync(file, 'utf8'))[step] ?? {};
} catch (error) {
  fail(`cannot read ${file}: ${error.message}`);
}
const out = [];
for (const [key, flag] of Object.entries(FLAGS[step])) {
  const value = section[key];
  if (value === undefined || value === null || value === false) continue;
  // A boolean key is a switch: the flag alone.
  if (value === true) {
    out.push(flag);
    continue;
  }
  const text = Array.isArray(value) ? value.join(',') : String(value);
  // The command splits this output on spaces, unquoted: refuse anything a shell would reinterpret.
  if (!/^[A-Za-z0-9._:/@+=,-]+$/.test(text))
    fail(`${file}: ${step}.${key}: ${JSON.stringify(value)} has characters a command line cannot carry unquoted`);
  out.push(flag, text);
}
process.stdout.write(out.join(' '));
