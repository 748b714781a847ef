import { readFileSync } from 'node:fs';

/**
 * Version of the classify prompt files under `prompts/<version>/`. Part of every memo key: bump it
 * (and add a folder) whenever the prompts change, so every gated row is asked again exactly once.
 */
export const PROMPT_VERSION = 'classify-v1';

/** The system and user prompt templates of one version. */
export interface ClassifyPrompts {
  version: string;
  system: string;
  /** With `{{report}}`, `{{file_change_summary}}` and `{{patch}}` placeholders. */
  user: string;
}

const FOLDERS: Record<string, string> = { 'classify-v1': 'v1' };

/** Reads the prompt files of a version (default {@link PROMPT_VERSION}); unknown versions use the latest files. */
export function loadPrompts(version = PROMPT_VERSION): ClassifyPrompts {
  const folder = FOLDERS[version] ?? (FOLDERS[PROMPT_VERSION] as string);
  const read = (name: string) => readFileSync(new URL(`./${folder}/${name}`, import.meta.url), 'utf8');
  return { version, system: read('system.md'), user: read('user.md') };
}

/** Replaces `{{name}}` placeholders; one pass, so values containing braces are left alone. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
}
