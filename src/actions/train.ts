import { runAction } from './run-action.js';

/** Entry point of actions/train: `slipway train` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('train');
