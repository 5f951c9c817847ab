import { runAction } from './run-action.js';

/** Entry point of actions/promote: `slipway promote` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('promote');
