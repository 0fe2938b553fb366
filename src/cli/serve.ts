import type { Command } from 'commander';
import { loadConfig } from '../config.js';

/** Time given to writing pending batches and closing the store once the connections are closed. */
const CLOSE_GRACE_MS = 10_000;

/**
 * `cadreen serve`: run the service until SIGTERM or SIGINT, then drain for at
 * most CADREEN_SHUTDOWN_TIMEOUT_MS and exit 0.
 */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('start the Cadreen HTTP service')
    .option('--port <port>', 'port to listen on (env CADREEN_PORT, default 8080)')
    .option('--host <host>', 'address to listen on (env CADREEN_HOST, default 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      const config = loadConfig(process.env, options);
      // The server's modules load only for the commands that need them; client commands start fast.
      const { createLogger, startService } = await import('../service.js');
      const logger = createLogger(config);
      const service = await startService(config, logger);
      const shutdown = (signal: string) => {
        logger.info({ signal, timeout_ms: config.shutdownTimeoutMs }, 'draining in-flight requests, then stopping');
        // Whatever hangs (a store that does not answer), the process does not outlive the deadline by much.
        setTimeout(() => {
          logger.error({ timeout_ms: config.shutdownTimeoutMs + CLOSE_GRACE_MS }, 'could not stop in time; exiting');
          process.exit(1);
        }, config.shutdownTimeoutMs + CLOSE_GRACE_MS).unref();
        service.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
