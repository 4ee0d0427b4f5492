#!/usr/bin/env node
/**
 * The `yolomq` command: wiring only. Loads .env, validates the environment, builds the commands with
 * commander and maps every outcome to a documented exit code (see exit-codes.ts).
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { runBench } from './bench.js';
import { type CliConfig, parseCliConfig } from './config.js';
import type { CliContext } from './context.js';
import { runDetect } from './detect.js';
import { CliFailure, EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { runKeygen } from './keygen.js';
import {
  parseClasses,
  parseDuration,
  parseDurationUpTo,
  parseEndpoint,
  parseHttpUrl,
  parseIntegerIn,
  parsePositiveNumber,
  parseUnit,
} from './parse.js';
import { runStatus } from './status.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function parseDurationOrZero(text: string): number {
  return /^\s*0+(\.0+)?\s*(ms|s|m|h)?\s*$/.test(text) ? 0 : parseDuration(text);
}

/** Options shared by detect and bench: where, which model, thresholds, timeouts. */
function addRequestOptions(command: Command, config: CliConfig): Command {
  return command
    .option('-b, --broker <endpoint>', 'broker frontend (env YOLOMQ_BROKER)', parseEndpoint, config.broker)
    .option('-m, --model <name>', "model to ask for (default: the broker's default model)")
    .option('--conf <0..1>', 'confidence threshold (worker default 0.25)', parseUnit)
    .option('--iou <0..1>', 'IoU threshold of NMS (worker default 0.7)', parseUnit)
    .option('--classes <list>', 'keep only these classes, names or ids, e.g. person,car', parseClasses)
    .option('--max-detections <n>', 'at most this many detections per image', parseIntegerIn(1, 10_000))
    .option(
      '-t, --timeout <duration>',
      'per-attempt timeout, e.g. 500ms, 30s, 2m',
      parseDurationUpTo(3_600_000, '1h'),
      30_000,
    )
    .option('--retries <n>', 'resends after a timeout (reconnecting each time)', parseIntegerIn(0, 100), 2)
    .option('--connect-timeout <duration>', 'how long to wait for the broker to answer a PING', parseDuration, 5_000);
}

function buildProgram(ctx: CliContext, setExit: (code: ExitCode) => void): Command {
  const run = (work: () => Promise<ExitCode>) => async () => setExit(await work());
  const program = new Command('yolomq')
    .description('YOLO object detection over ZeroMQ: detect objects in images, benchmark the cluster, show its state.')
    .version(version, '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `\n${EXIT_CODES_HELP}\n\nEnvironment (a .env file is read too):\n` +
        '  YOLOMQ_BROKER       broker frontend, default tcp://127.0.0.1:5555\n' +
        '  YOLOMQ_BROKER_HTTP  broker HTTP endpoint, default http://127.0.0.1:8080\n' +
        '  LOG_LEVEL           client log level on stderr (JSON), default warn\n\n' +
        'Examples:\n' +
        '  yolomq detect photos/ --classes person,car --annotate out/\n' +
        '  yolomq detect "photos/**/*.jpg" --json > detections.jsonl\n' +
        '  yolomq bench --images photos/ --concurrency 16 --duration 30s\n' +
        '  yolomq bench --images photos/ --rate 50 --duration 1m --timeline timeline.jsonl\n' +
        '  yolomq status',
    );

  addRequestOptions(
    program
      .command('detect')
      .description('detect objects in images; prints a table per image (or JSON lines) and a summary')
      .argument('<inputs...>', 'image files, folders (searched recursively) or globs such as "photos/**/*.jpg"'),
    ctx.config,
  )
    .option('-c, --concurrency <n>', 'images in flight at once', parseIntegerIn(1, 10_000), 8)
    .option('--json', 'JSON lines: one object per image, then a summary object', false)
    .option('-a, --annotate <dir>', 'write each image with its boxes and labels drawn into this folder')
    .option('--no-progress', 'no progress bar (it is only shown on a terminal anyway)')
    .action(async (inputs: string[], opts) => {
      await run(() => runDetect(inputs, opts, ctx))();
    });

  addRequestOptions(
    program
      .command('bench')
      .description('load the cluster (closed loop, or open loop with --rate) and report throughput and latency')
      .requiredOption('-i, --images <dir>', 'folder (or glob) of images to send, round-robin'),
    ctx.config,
  )
    .option(
      '-c, --concurrency <n>',
      'closed loop: requests in flight; open loop: the most in flight',
      parseIntegerIn(1, 100_000),
      8,
    )
    .option('-d, --duration <duration>', 'how long to measure', parseDuration, 30_000)
    .option(
      '-r, --rate <per-second>',
      'open loop: send at this fixed rate (latency from the scheduled time)',
      parsePositiveNumber,
    )
    .option('--warmup <duration>', 'run this long before measuring', parseDurationOrZero, 0)
    .option('--timeline <file>', 'write JSON lines per second: {t, sent, completed, errors, p99Ms}')
    .option('--json', 'print the report as one JSON object', false)
    .option('--no-progress', 'no live status line (it is only shown on a terminal anyway)')
    .action(async (opts, command: Command) => {
      const concurrencyGiven = command.getOptionValueSource('concurrency') === 'cli';
      await run(() => runBench({ ...opts, concurrencyGiven }, ctx))();
    });

  program
    .command('status')
    .description("show the broker's workers and queues (from its HTTP /status)")
    .option('--http <url>', 'broker HTTP endpoint (env YOLOMQ_BROKER_HTTP)', parseHttpUrl, ctx.config.brokerHttp)
    .addOption(
      new Option('-t, --timeout <duration>', 'how long to wait for an answer').argParser(parseDuration).default(5_000),
    )
    .option('--json', 'print the status JSON as the broker sent it', false)
    .action(async (opts) => {
      await run(() => runStatus(opts, ctx))();
    });

  program
    .command('keygen')
    .description('make a CurveZMQ key pair (for YOLOMQ_CURVE_* settings and the broker allow-lists)')
    .option('-o, --out <prefix>', 'write PREFIX.key (secret, mode 0600) and PREFIX.pub instead of printing them')
    .option('--force', 'overwrite existing key files', false)
    .action(async (opts) => {
      await run(async () => runKeygen(opts, ctx))();
    });

  return program;
}

async function main(): Promise<ExitCode> {
  loadDotenv({ quiet: true });
  const config = parseCliConfig(process.env);
  if (!config.ok) {
    process.stderr.write(`yolomq: ${config.message}\n`);
    return ExitCode.USAGE;
  }
  const interrupt = new AbortController();
  process.on('SIGINT', () => {
    if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    process.stderr.write('\nyolomq: interrupted; finishing up (Ctrl-C again to quit at once)\n');
    interrupt.abort();
  });
  const ctx: CliContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    config: config.value,
    logger: pino({ name: 'yolomq', level: config.value.logLevel }, pino.destination(2)),
    interrupt: interrupt.signal,
  };
  let exitCode: ExitCode = ExitCode.OK;
  const program = buildProgram(ctx, (code) => {
    exitCode = code;
  });
  if (process.argv.length <= 2) {
    program.outputHelp({ error: true });
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync(process.argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    if (err instanceof CliFailure) {
      process.stderr.write(`yolomq: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(
      `yolomq: unexpected error (a bug, please report it): ${(err as Error)?.stack ?? String(err)}\n`,
    );
    return ExitCode.FAILED;
  }
}

// Set the exit code and let the process end by itself: the client closes its socket and clears its timers,
// so nothing should remain to keep it alive.
process.exitCode = await main();
