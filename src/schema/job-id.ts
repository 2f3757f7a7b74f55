import { InvalidParameterError } from '../errors.js';
import { assertSafeJobId } from '../upstream/job-path.js';

// A lone UTF-16 surrogate (half of a pair, e.g. "\ud800") is valid in a JSON string and a GraphQL
// ID but is no Unicode text: `encodeURIComponent` throws a URIError on it, which used to surface as
// "Unexpected error." with an error-level log line and stack. `\p{Cs}` with the `u` flag matches
// only unpaired surrogates (a proper pair is one code point, never a `Cs` match).
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The resolvers' id check (`argument` names the id in the error, e.g. `input.jobId`): refuses ids that are not well-formed Unicode, then applies the path
 * check (`assertSafeJobId`: empty, too long, separators, escapes, whitespace, control characters).
 * Either way an `InvalidParameterError` (a typed union member) and no upstream call.
 */
export function assertValidJobId(id: string, argument = 'id'): void {
  if (LONE_SURROGATE.test(id)) {
    throw new InvalidParameterError(
      `Argument "${argument}" must be well-formed Unicode text (it has a lone surrogate).`,
      'InvalidParameter',
      null,
      argument,
    );
  }
  assertSafeJobId(id, argument);
}
