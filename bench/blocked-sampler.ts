import { readFileSync } from 'node:fs';

/**
 * Samples, every 10 ms, whether a process's main thread is blocked in the
 * kernel in uninterruptible sleep (state D: waiting for the disk, mostly) and,
 * where /proc/<pid>/stack can be read (root), in which kernel functions. An
 * event-loop stall during which the thread sat in D is the disk's doing, not
 * JavaScript's or the scheduler's. Linux only; elsewhere it reports nothing.
 */

export interface BlockedReport {
  samples: number;
  /** Samples that found the main thread in D. */
  blocked: number;
  /** Longest run of consecutive D samples, ms (at 10 ms resolution). */
  longestMs: number;
  /** Where it was blocked: the two innermost kernel functions and the system call, with how many samples each. */
  where: [string, number][];
}

export function sampleBlocked(pid: number): { stop(): BlockedReport | undefined } {
  let samples = 0;
  let blocked = 0;
  let streak = 0;
  let longest = 0;
  let readable = true;
  const where = new Map<string, number>();
  const timer = setInterval(() => {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]!;
    } catch {
      readable = false;
      return;
    }
    samples++;
    if (state !== 'D') {
      streak = 0;
      return;
    }
    blocked++;
    streak++;
    longest = Math.max(longest, streak);
    try {
      const frames = readFileSync(`/proc/${pid}/stack`, 'utf8')
        .split('\n')
        .map((line) => /\] ([^+]+)/.exec(line)?.[1])
        .filter((name): name is string => name !== undefined);
      const syscall = frames.find((name) => /^(__x64_sys_|__arm64_sys_|__do_sys_|ksys_)/.test(name));
      const place = `${frames.slice(0, 2).join(' < ')} in ${syscall ?? 'no system call'}`;
      where.set(place, (where.get(place) ?? 0) + 1);
    } catch {
      // /proc/<pid>/stack needs root: the count alone still tells.
    }
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      if (!readable && samples === 0) return undefined;
      return { samples, blocked, longestMs: longest * 10, where: [...where].sort((a, b) => b[1] - a[1]).slice(0, 5) };
    },
  };
}
