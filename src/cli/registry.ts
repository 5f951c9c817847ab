import type { Command } from './command.js';
import { validate } from './commands/validate.js';
import { train } from './commands/train.js';
import { evaluate } from './commands/evaluate.js';
import { report } from './commands/report.js';
import { promote } from './commands/promote.js';
import { rollback } from './commands/rollback.js';
import { audit } from './commands/audit.js';
import { serve } from './commands/serve.js';
import { drift } from './commands/drift.js';
import { render } from './commands/render.js';
import { demo } from './commands/demo.js';
import { check } from './commands/check.js';
import { generate } from './commands/generate.js';

/** Every command, in the order --help lists them. Each lives in its own file under commands/. */
export const commands: Command[] = [validate, train, evaluate, report, promote, rollback, audit, serve, drift, render, demo, check, generate];
