import type { Millis } from './model.js';

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** The first instant past the latest time the service accepts (year 9999). */
const END_OF_9999: Millis = Date.UTC(10_000, 0, 1);

/**
 * Reads an RFC 3339 timestamp (`2026-06-03T12:00:00Z`, `…+02:00`, fractions
 * of a second allowed) into epoch milliseconds, or `undefined` when it is not
 * one: a day the month does not have, a leap second (`23:59:60` cannot be
 * stored exactly, so it is refused rather than moved), or an instant outside
 * the years 1970–9999.
 */
export function parseTimestamp(text: string): Millis | undefined {
  const match = RFC_3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Date.UTC rolls 31 April over into 1 May: a day the month lacks shows up as a different date.
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (match[8] === undefined) {
    const [offsetHours, offsetRest] = [Number(match[10]), Number(match[11])];
    if (offsetHours > 23 || offsetRest > 59) return undefined;
    offsetMinutes = (match[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetRest);
  }
  const fraction = match[7] ? Math.floor(Number(match[7]) * 1000) : 0;
  const value = Date.UTC(year, month - 1, day, hour, minute, second, fraction) - offsetMinutes * 60_000;
  return value >= 0 && value < END_OF_9999 ? value : undefined;
}
