/** Entry point of the `lakeloop` command (see program.ts for the command tree). */
import { runCli } from './program.js';

await runCli(process.argv.slice(2));
