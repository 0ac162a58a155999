import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createHostNetwork, namespaceUnavailableReason } from './netns-hosts.js';

const run = promisify(execFile);

/** A program that tries a TCP connection and prints `connected` or the error code. */
const probe = (host: string, port: number): string[] => [
  '-e',
  `const s = require('node:net').connect({ host: ${JSON.stringify(host)}, port: ${String(port)}, timeout: 1500 });
   s.on('connect', () => { console.log('connected'); s.destroy(); });
   s.on('timeout', () => { console.log('timeout'); s.destroy(); });
   s.on('error', (e) => console.log(e.code));`,
];

const unavailable = namespaceUnavailableReason();

describe.skipIf(unavailable !== '')('test hosts in network namespaces', () => {
  it('links each spoke to the hub only, and removes everything on close', async () => {
    const net = await createHostNetwork({ hub: 'svc', spokes: ['a', 'b'] });
    try {
      expect(net.fallbackReason).toBe('');
      expect(net.isolated).toBe(true);
      // A server in the hub namespace, on every hub address.
      const [file, args] = net.command('svc', process.execPath, [
        '-e',
        "const s = require('node:net').createServer((c) => c.end()); s.listen(0, '0.0.0.0', () => console.log(s.address().port));",
      ]);
      const server = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const [chunk] = (await once(server.stdout, 'data')) as [Buffer];
      const port = Number(chunk.toString().trim());
      // A server in the machine's own namespace, which no spoke may reach.
      const outside = createServer((c) => c.end());
      outside.listen(0, '127.0.0.1');
      await once(outside, 'listening');
      const outsidePort = (outside.address() as AddressInfo).port;
      try {
        const fromA = async (host: string, p: number): Promise<string> => {
          const [f, a] = net.command('a', process.execPath, probe(host, p));
          return (await run(f, a)).stdout.trim();
        };
        expect(await fromA(net.address('svc', 'a'), port)).toBe('connected');
        // b's link is not a's: no route (the hub does not forward).
        expect(await fromA(net.address('b'), port)).toMatch(/ENETUNREACH|EHOSTUNREACH|timeout/);
        // The machine's loopback is not a's loopback.
        expect(await fromA('127.0.0.1', outsidePort)).toBe('ECONNREFUSED');
      } finally {
        server.kill();
        outside.close();
      }
    } finally {
      await net.close();
    }
    expect(net.namespaces).toHaveLength(3);
    const left = execFileSync('ip', ['netns', 'list']).toString();
    for (const ns of net.namespaces) expect(left).not.toContain(ns);
  });
});

describe.skipIf(unavailable === '')('test hosts without namespaces', () => {
  it(`fall back to loopback (${unavailable})`, async () => {
    await using net = await createHostNetwork({ hub: 'svc', spokes: ['a'] });
    expect(net.isolated).toBe(false);
    expect(net.address('svc', 'a')).toBe('127.0.0.1');
    expect(net.command('a', 'node', ['-v'])).toEqual(['node', ['-v']]);
  });
});
