import { runAction } from './run-action.js';

/** Entry point of actions/evaluate: `slipway evaluate` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('evaluate');
