#!/usr/bin/env node
// yolomq serve: broker + M workers on this machine, in the foreground (threads by default, --processes
// for child processes). `node scripts/serve.mjs --help`, or `npm run serve -- --workers 4`.
import { main } from './serve/cli.mjs';

process.exitCode = await main(process.argv.slice(2));
