import { runAction } from './run-action.js';

/** Entry point of actions/report: `slipway report` with the action's inputs as flags. */
export const run = (): Promise<number> => runAction('report');
