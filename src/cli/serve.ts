import type { Command } from 'commander';
import { loadConfig } from '../config.js';

/** `cadreen serve`: run the service until SIGTERM or SIGINT, then drain and exit 0. */
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
        logger.info({ signal }, 'draining in-flight requests, then stopping');
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
