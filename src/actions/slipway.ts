import { runAction } from './run-action.js';

/** Entry point of the root action.yml: any slipway command, from the `command` and `args` inputs. */
export const run = (): Promise<number> => runAction('');
