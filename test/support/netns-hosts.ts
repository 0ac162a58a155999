/**
 * Test hosts in network namespaces (issue #16's multi-host tests): one hub host (the services:
 * PostgreSQL, Redis) and spokes (the daemon, the workers), each spoke linked to the hub by its own
 * veth pair and nothing else — no link to the machine's own namespace, no forwarding, so a spoke
 * reaches the hub's services only over its link and no other address. Every name carries a prefix
 * unique to the test, and `close()` removes the namespaces (and with them their links).
 *
 * Where namespaces cannot be made (not root, no `ip`), the same hosts are plain processes on
 * loopback: every address is 127.0.0.1 and `command()` runs the program as it is.
 *
 * @example
 * ```ts
 * await using net = await createHostNetwork({ hub: 'svc', spokes: ['daemon', 'w1'] });
 * const redis = spawn(...net.command('svc', 'redis-server', ['--bind', net.address('svc')]));
 * const worker = spawn(...net.command('w1', process.execPath, ['worker.js', net.address('svc')]));
 * ```
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Hosts on a hub-and-spoke network of namespaces, or on loopback. */
export interface HostNetwork extends AsyncDisposable {
  /** True when the hosts are namespaces; false when they share loopback. */
  readonly isolated: boolean;
  /** Why the hosts are not isolated ('' when they are). */
  readonly fallbackReason: string;
  /** The namespaces made (none on loopback). */
  readonly namespaces: readonly string[];
  /**
   * The address other hosts reach `host` at: a spoke's own link address, or the hub's address on
   * the asking spoke's link (`from`; each spoke has its own link to the hub).
   */
  address(host: string, from?: string): string;
  /** `[file, args]` for spawn/execFile that run `program` on `host`. */
  command(host: string, program: string, args: readonly string[]): [string, string[]];
  /** Removes the namespaces. */
  close(): Promise<void>;
}

/** Options of {@link createHostNetwork}. */
export interface HostNetworkOptions {
  /** The host every other one links to (services). */
  hub: string;
  /** The other hosts, each linked to the hub only. */
  spokes: readonly string[];
}

function run(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why namespaces cannot be made here, or '' when they can. */
export function namespaceUnavailableReason(): string {
  if (process.env.LAKELOOP_TEST_NETNS === '0') return 'LAKELOOP_TEST_NETNS=0 asks for loopback hosts';
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'the `ip` command is missing (apt-get install iproute2)';
  }
  return '';
}

/** A hub-and-spoke network of namespaces for this test, or loopback hosts where that cannot be. */
export async function createHostNetwork(options: HostNetworkOptions): Promise<HostNetwork> {
  const reason = namespaceUnavailableReason();
  if (reason !== '') return loopbackNetwork(reason);
  // Interface names are at most 15 characters: a 6-hex prefix, a role letter and the spoke's index.
  const prefix = `ll${randomBytes(3).toString('hex')}`;
  const hubNs = `${prefix}-${options.hub}`;
  const namespaces = [hubNs];
  const addresses = new Map<string, string>();
  const hubAddresses = new Map<string, string>();
  const close = (): Promise<void> => {
    for (const ns of namespaces.splice(0)) {
      try {
        run(['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
    return Promise.resolve();
  };
  try {
    run(['netns', 'add', hubNs]);
    run(['-n', hubNs, 'link', 'set', 'lo', 'up']);
    // A /30 per spoke in 10.<random>.<index>.0: the hub is .1, the spoke .2.
    const second = 64 + ((randomBytes(1)[0] ?? 0) % 128);
    options.spokes.forEach((spoke, index) => {
      const ns = `${prefix}-${spoke}`;
      run(['netns', 'add', ns]);
      namespaces.push(ns);
      run(['-n', ns, 'link', 'set', 'lo', 'up']);
      const hubSide = `${prefix}h${String(index)}`;
      const spokeSide = `${prefix}s${String(index)}`;
      run(['-n', hubNs, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', spokeSide, 'netns', ns]);
      const hubIp = `10.${String(second)}.${String(index)}.1`;
      const spokeIp = `10.${String(second)}.${String(index)}.2`;
      run(['-n', hubNs, 'addr', 'add', `${hubIp}/30`, 'dev', hubSide]);
      run(['-n', ns, 'addr', 'add', `${spokeIp}/30`, 'dev', spokeSide]);
      run(['-n', hubNs, 'link', 'set', hubSide, 'up']);
      run(['-n', ns, 'link', 'set', spokeSide, 'up']);
      addresses.set(spoke, spokeIp);
      hubAddresses.set(spoke, hubIp);
    });
  } catch (error) {
    await close();
    const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return loopbackNetwork(`could not make network namespaces: ${detail ?? ''}`);
  }
  const nsOf = (host: string): string => {
    if (host !== options.hub && !addresses.has(host)) throw new Error(`unknown test host "${host}"`);
    return `${prefix}-${host}`;
  };
  return {
    isolated: true,
    fallbackReason: '',
    namespaces: [...namespaces],
    address(host, from) {
      if (host !== options.hub) {
        const ip = addresses.get(host);
        if (ip === undefined) throw new Error(`unknown test host "${host}"`);
        return ip;
      }
      const first = options.spokes[0];
      const ip = hubAddresses.get(from ?? first ?? '');
      if (ip === undefined) throw new Error(`the hub is reached from a spoke; "${String(from)}" is none`);
      return ip;
    },
    command: (host, program, args) => ['ip', ['netns', 'exec', nsOf(host), program, ...args]],
    close,
    [Symbol.asyncDispose]: close,
  };
}

function loopbackNetwork(reason: string): HostNetwork {
  const close = (): Promise<void> => Promise.resolve();
  return {
    isolated: false,
    fallbackReason: reason,
    namespaces: [],
    address: () => '127.0.0.1',
    command: (_host, program, args) => [program, [...args]],
    close,
    [Symbol.asyncDispose]: close,
  };
}
