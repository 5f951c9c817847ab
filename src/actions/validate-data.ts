import { runAction } from './run-action.js';

/** Entry point of actions/validate-data: `slipway validate` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('validate-data');
