// Tests of the dev server's command line: flags, PORT, defaults anchored at the repo root, the
// models folder being created, and the printed URL of a started server.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';
import { main, mountsFor, parseArgs, CliError } from './main';

describe('parseArgs', () => {
  const repo = '/repo';
  it('defaults: port 8080, isolation on, folders under the repo', () => {
    const o = parseArgs([], {}, repo);
    expect(o.port).toBe(8080);
    expect(o.isolation).toBe(true);
    expect(mountsFor(o)).toEqual([
      { prefix: '/', dir: '/repo/apps/web/dist' },
      { prefix: '/wasm/', dir: '/repo/libs/kernels/dist/wasm' },
      { prefix: '/models/', dir: '/repo/models' },
    ]);
  });
  it('PORT from the environment, --port wins over it', () => {
    expect(parseArgs([], { PORT: '9001' }, repo).port).toBe(9001);
    expect(parseArgs(['--port', '9002'], { PORT: '9001' }, repo).port).toBe(9002);
    expect(parseArgs(['--port=0'], {}, repo).port).toBe(0);
  });
  it('folders, extra mounts and --no-isolation', () => {
    const o = parseArgs(['--root', '/a', '--wasm=/b', '--models', '/c', '--mount', '/x/=/d', '--no-isolation'], {}, repo);
    expect(o.isolation).toBe(false);
    expect(o.allowThrottle).toBe(false);
    expect(parseArgs(['--allow-throttle'], {}, repo).allowThrottle).toBe(true);
    expect(mountsFor(o).map((m) => m.dir)).toEqual(['/a', '/b', '/c', '/d']);
    expect(mountsFor(o)[3]!.prefix).toBe('/x/');
  });
  it.each([['--port', 'abc'], ['--port', '70000'], ['--port'], ['--what'], ['--mount', 'nodir']])('%j is a CliError', (...argv) => {
    expect(() => parseArgs(argv, {}, repo)).toThrow(CliError);
  });
  it('a bad PORT is a CliError', () => {
    expect(() => parseArgs([], { PORT: '-1' }, repo)).toThrow(CliError);
  });
});

describe('main', () => {
  it('creates the models folder, prints the URL last and serves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bn-devserver-main-'));
    const models = join(dir, 'models', 'nested');
    const lines: string[] = [];
    const server = await main(['--port', '0', '--root', dir, '--wasm', dir, '--models', models], {}, dir, (l) => lines.push(l));
    try {
      expect(existsSync(models)).toBe(true);
      const url = lines[lines.length - 1]!;
      expect(url).toMatch(/^http:\/\/localhost:\d+\/$/);
      const port = Number(/:(\d+)\//.exec(url)![1]);
      const status = await new Promise<number>((resolve, reject) =>
        get({ host: '127.0.0.1', port, path: '/nothing-here' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject),
      );
      expect(status).toBe(404);
    } finally {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('--help prints the usage and starts nothing', async () => {
    const lines: string[] = [];
    expect(await main(['--help'], {}, '/repo', (l) => lines.push(l))).toBeUndefined();
    expect(lines.join('\n')).toContain('--no-isolation');
  });
});
