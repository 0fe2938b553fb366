/**
 * How long a test waits for something that must happen before calling it
 * missing. A safety net for a condition that never comes, far beyond how long
 * anything takes on a loaded machine; never a measurement.
 */
export const DEADLINE_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until `done(value)` holds, and answers that value. Fails,
 * naming `what` and the last value seen, only if it never holds within the
 * deadline.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  done: (value: T) => boolean,
  { deadlineMs = DEADLINE_MS, intervalMs = 50 }: { deadlineMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still not so after ${deadlineMs} ms (last seen: ${shown(value)})`);
    await sleep(intervalMs);
  }
}

/** Resolves as `promise` does, or fails naming `what` if it has not settled within the deadline (a hang). */
export async function settles<T>(what: string, promise: Promise<T>, deadlineMs = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function shown(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
