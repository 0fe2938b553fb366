import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Runs once before any test file: finds the PostgreSQL and Redis servers the
 * backend suites use. A URL given in CADREEN_TEST_DATABASE_URL /
 * CADREEN_TEST_REDIS_URL must answer; without one, the local server at its
 * default address is used when it answers. A server that does not answer
 * leaves its variable unset and its reason in CADREEN_TEST_*_ABSENT, so the
 * suites that need it are skipped saying why (`test/support/services.ts`) —
 * except with `CI=true`, where that is a failure. Test files run in processes
 * forked after this, so they see what it sets.
 */

interface Service {
  name: string;
  variable: string;
  absentVariable: string;
  defaultUrl: string;
  /** Resolves when the server answers at `url`; rejects with why not. */
  probe(url: string): Promise<void>;
}

const PROBE_TIMEOUT_MS = 3_000;

const SERVICES: Service[] = [
  {
    name: 'PostgreSQL',
    variable: 'CADREEN_TEST_DATABASE_URL',
    absentVariable: 'CADREEN_TEST_DATABASE_ABSENT',
    defaultUrl: 'postgres://postgres@127.0.0.1:5432/test',
    async probe(url) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  },
  {
    name: 'Redis',
    variable: 'CADREEN_TEST_REDIS_URL',
    absentVariable: 'CADREEN_TEST_REDIS_ABSENT',
    defaultUrl: 'redis://127.0.0.1:6379',
    async probe(url) {
      const client = new Redis(url, {
        lazyConnect: true,
        connectTimeout: PROBE_TIMEOUT_MS,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      let cause: unknown;
      client.on('error', (error) => (cause = error));
      try {
        await client.connect();
        if ((await client.ping()) !== 'PONG') throw new Error('PING was not answered with PONG');
      } catch (error) {
        // ioredis rejects with "Connection is closed"; the error it emitted before says why.
        throw cause ?? error;
      } finally {
        client.disconnect();
      }
    },
  },
];

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error)) || 'no answer';

export default async function findTestServices(): Promise<void> {
  const failures: string[] = [];
  await Promise.all(
    SERVICES.map(async (service) => {
      const given = process.env[service.variable] || undefined;
      const url = given ?? service.defaultUrl;
      try {
        await service.probe(url);
        process.env[service.variable] = url;
        delete process.env[service.absentVariable];
      } catch (error) {
        const reason = `no ${service.name} at ${shown(url)} (${reasonOf(error)})`;
        // A server asked for by name, or any server in CI, must answer: its suites failing all at once would say less.
        if (given !== undefined) failures.push(`${service.variable} does not answer: ${reason}`);
        else if (process.env.CI === 'true') failures.push(`CI=true and ${reason}; set ${service.variable} or start the server (see .ci/run)`);
        delete process.env[service.variable];
        process.env[service.absentVariable] = reason;
      }
    }),
  );
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
