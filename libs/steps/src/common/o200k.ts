import { createRequire } from 'node:module';

type O200k = typeof import('gpt-tokenizer/encoding/o200k_base');

const require = createRequire(import.meta.url);
let encoding: O200k | undefined;

/**
 * The o200k_base tokenizer, loaded on first use: building its tables takes about 0.1 s, which every
 * CLI start paid while it was a static import. `require` (the package ships CommonJS too) keeps the
 * callers synchronous.
 */
export function o200k(): O200k {
  encoding ??= require('gpt-tokenizer/encoding/o200k_base') as O200k;
  return encoding;
}
