import type { ValidateFunction } from 'ajv';
import { GraphQLError, type GitHubTestServer, type Json } from '../server.js';

/**
 * A mutation's `$input`, checked as GitHub checks it: the query must declare `$input: <type>!` and the
 * value must match the documented input type (`validate`); either failure is recorded as a violation and
 * answered with GitHub's INVALID_VARIABLE error.
 */
export function mutationInput(s: GitHubTestServer, query: string, vars: Record<string, unknown>, mutation: string, type: string, validate: ValidateFunction): Json {
  if (!new RegExp(`mutation[^{]*\\(\\s*\\$input:\\s*${type}!\\s*\\)`).test(query)) {
    s.violations.push({ kind: 'graphql', method: 'POST', path: '/graphql', problems: [`${mutation} must take $input: ${type}!`] });
    throw new GraphQLError(`Variable $input is not declared as ${type}!`, 'INVALID_VARIABLE');
  }
  if (!validate(vars.input)) {
    const problems = (validate.errors ?? []).map((e) => `input${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
    s.violations.push({ kind: 'graphql', method: 'POST', path: '/graphql', problems });
    throw new GraphQLError(`Variable $input of type ${type}! was provided invalid value: ${problems.join('; ')}`, 'INVALID_VARIABLE');
  }
  return vars.input as Json;
}
