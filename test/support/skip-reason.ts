/**
 * Why a suite is skipped, carried to the reporter (`test/support/skip-reporter.ts`),
 * which prints one line naming every suite skipped and why.
 */
declare module 'vitest' {
  interface TaskMeta {
    /** Set on a suite that is skipped; the reporter names it with this reason. */
    skipReason?: string;
  }
}

/** Suite options (`describe(name, options, fn)`) that skip it, saying why, when `reason` is set. */
export function skipWhen(reason: string | undefined): { skip?: boolean; meta?: { skipReason: string } } {
  return reason === undefined ? {} : { skip: true, meta: { skipReason: reason } };
}
