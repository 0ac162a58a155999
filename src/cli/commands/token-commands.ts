/**
 * `lakeloop tokens create|list|revoke`: the scoped API tokens of the instance home
 * (`<home>/api-tokens.json`, kept as SHA-256 digests). `create` prints the token once; a running
 * `lakeloop dev` picks changes up at once (and asks for a token as soon as one exists).
 *
 * @example
 * ```sh
 * lakeloop tokens create ci --scope read --scope trigger
 * lakeloop tokens list
 * lakeloop tokens revoke ci
 * ```
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { ApiTokenFile, API_SCOPES, parseScopes } from '../../server/api-tokens.js';
import { API_TOKEN_FILE } from '../../server/dev-server.js';
import { instanceHome } from '../instance-home.js';
import { printJson, printTable } from '../output.js';

function tokenFile(command: Command): ApiTokenFile {
  return new ApiTokenFile(join(instanceHome(command), API_TOKEN_FILE));
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Registers the `tokens` sub-commands on `program`. */
export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('scoped API tokens of this instance');
  tokens
    .command('create <name>')
    .description(`create a token (prints it once); scopes: ${API_SCOPES.join(', ')}`)
    .option('--scope <scope>', 'a scope (repeat or comma-separate); admin allows everything', collect, [])
    .option('--json', 'print JSON')
    .action(async (name: string, options: { scope: string[]; json?: boolean }, command: Command) => {
      const { token, record } = await tokenFile(command).create(name, parseScopes(options.scope));
      if (options.json === true) {
        printJson({ ...record, token });
        return;
      }
      process.stdout.write(
        `Token "${record.name}" (${record.scopes.join(', ')}): ${token}\nIt is shown only now; the server keeps its digest.\n`,
      );
    });
  tokens
    .command('list')
    .description('list tokens (names and scopes, never the tokens)')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }, command: Command) => {
      const records = tokenFile(command)
        .list()
        .map(({ name, scopes, createdAt }) => ({ name, scopes, createdAt }));
      if (options.json === true) {
        printJson(records);
        return;
      }
      printTable(
        ['NAME', 'SCOPES', 'CREATED'],
        records.map((r) => [r.name, r.scopes.join(','), r.createdAt]),
      );
    });
  tokens
    .command('revoke <name>')
    .description('revoke a token (a running server refuses it at once)')
    .action(async (name: string, _options: unknown, command: Command) => {
      await tokenFile(command).revoke(name);
      process.stdout.write(`Token "${name}" revoked.\n`);
    });
}
