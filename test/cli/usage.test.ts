import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliHome, runCli } from '../support/cli.js';

describe('tessera bad usage exits 2 and says what is wrong', () => {
  const home = cliHome();
  afterAll(() => home.cleanup());

  it('an unknown command prints the usage on stderr', async () => {
    const result = await runCli(home, ['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^tessera: unknown command "frobnicate"\n/);
    expect(result.stderr).toContain('tessera run FILE [--out DIR]');
  });

  it('no command prints the usage and exits 2; --help exits 0', async () => {
    const bare = await runCli(home, []);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('tessera models add NAME FILE');
    const help = await runCli(home, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(bare.stdout);
  });

  it('models add without FILE names what is missing', async () => {
    const result = await runCli(home, ['models', 'add', 'ocsvm-1-1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing FILE');
  });

  it('run of a file that does not exist names it', async () => {
    const result = await runCli(home, ['run', 'nosuchfile.csv']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('nosuchfile.csv: no such file');
  });

  it('train ocsvm --window-seconds 0 names the option', async () => {
    const readings = join(home.dir, 'readings.csv');
    writeFileSync(readings, 'TS,Device,Tag,Value\n2018-08-28 23:00:05.000,1,1,10.16\n');
    const result = await runCli(home, ['train', 'ocsvm', readings, '--window-seconds', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--window-seconds: must be a positive integer, got "0"');
  });

  it('an unknown option names it', async () => {
    const result = await runCli(home, ['status', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'--bogus'");
  });
});
