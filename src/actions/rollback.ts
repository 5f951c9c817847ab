import { runAction } from './run-action.js';

/** Entry point of actions/rollback: `slipway rollback` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('rollback');
