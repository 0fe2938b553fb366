import { InvalidArgumentError } from 'commander';
import { parseRateLimit } from '../config.js';
import { parseTimestamp } from '../core/timestamps.js';
import { MAX_RATE_LIMIT } from '../http/schemas/cadreen.js';
import { LABEL_KEY_PATTERN } from '../http/schemas/common.js';

/**
 * Parsers of flag values. Each refuses a bad value before any request is sent, with a sentence
 * naming the flag; commander prints it as a usage error (exit 2).
 */

/** A whole number within `[min, max]`. */
export const wholeNumber =
  (flag: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError(`${flag} must be a whole number`);
    const number = Number(value);
    if (number < min) throw new InvalidArgumentError(`${flag} must be at least ${min}`);
    if (number > max) throw new InvalidArgumentError(`${flag} must be at most ${max}`);
    return number;
  };

/** A value that is not empty (an unset shell variable gives an empty one). */
export const nonEmpty =
  (name: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${name} must not be empty`);
    return value;
  };

/** An RFC 3339 time with its offset, such as 2030-01-01T00:00:00Z, as the server takes it (see `parseTimestamp`). */
export const timestamp =
  (flag: string) =>
  (value: string): string => {
    if (parseTimestamp(value) === undefined) {
      throw new InvalidArgumentError(`${flag} must be an RFC 3339 time with an offset between the years 1970 and 9999, such as 2030-01-01T00:00:00Z`);
    }
    return value;
  };

/** Label keys the API accepts. */
const LABEL_KEY = new RegExp(LABEL_KEY_PATTERN);

/** Repeated `--label key=value` flags, collected into one object. */
export function collectLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('--label must be key=value, such as team=billing');
  const key = value.slice(0, at);
  if (!LABEL_KEY.test(key)) {
    throw new InvalidArgumentError(`--label key "${key}" must start with a letter or digit and have at most 63 of A-Z a-z 0-9 . _ / -`);
  }
  return { ...previous, [key]: value.slice(at + 1) };
}

/** A rate limit to set on a workspace. */
export interface RateLimitSetting {
  limit: number;
  windowSeconds: number;
}

/**
 * `--rate-limit 100/60s` (also `100/1m`, `5000/1h`, `100/60` in seconds; windows up to 24 h), or
 * `--rate-limit default` to clear the workspace's own limit and use the deployment's default.
 */
export const rateLimit =
  (flag: string) =>
  (value: string): RateLimitSetting | 'default' => {
    // Not null: commander takes a parser's null for "no value" and stores ''.
    if (value.trim().toLowerCase() === 'default') return 'default';
    const policy = parseRateLimit(value);
    if (!policy || policy.limit > MAX_RATE_LIMIT) {
      throw new InvalidArgumentError(
        `${flag} must be <requests>/<window> (requests 1-${MAX_RATE_LIMIT}, window in s, m or h up to 24h), e.g. 100/60s, or "default"`,
      );
    }
    return policy;
  };
