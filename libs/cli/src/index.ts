export { main, buildProgram } from './main';
export type { CommandContext } from './context';
