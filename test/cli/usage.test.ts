import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { createCliEnv } from '../../src/cli/cliEnv.js';
import { main } from '../../src/cli/main.js';
import { createProgram } from '../../src/cli/program.js';
import { captureIo } from '../support/captureIo.js';
import { cliEnv, cliHome, runCli } from '../support/cli.js';

/** Every command path of the program: `status`, `models list`, `dlq events redrive`, … */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

describe('tessera usage: --help everywhere, --version, and exit 2 for bad usage or input before anything is uploaded', () => {
  const home = cliHome();
  afterAll(() => home.cleanup());
  const inProcess = async (argv: string[]) => {
    const io = captureIo();
    const code = await main(argv, io, { env: cliEnv(home) });
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  it('every command and subcommand answers --help on stdout with exit 0', async () => {
    const paths = commandPaths(createProgram(createCliEnv(captureIo())));
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['up', 'submit', 'run', 'status', 'follow', 'results', 'cancel', 'retry', 'logs']),
    );
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['models list', 'dlq events redrive']));
    for (const path of paths) {
      const result = await inProcess([...path, '--help']);
      expect(result.code, path.join(' ')).toBe(0);
      expect(result.stdout, path.join(' ')).toMatch(new RegExp(`^Usage: tessera ${path.join(' ')} `));
      expect(result.stderr).toBe('');
    }
  });

  it('--version prints the package version; no command prints the help and exits 2', async () => {
    expect(await inProcess(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
    const bare = await inProcess([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toMatch(/^Usage: tessera \[options\] \[command\]/);
    expect(bare.stdout).toContain('results [options] <job>');
    expect((await inProcess(['--help'])).stdout).toBe(bare.stdout);
  });

  it.each([
    [['frobnicate'], "tessera: unknown command 'frobnicate'"],
    [['status', '--bogus'], "tessera: unknown option '--bogus'"],
    [['models', 'add', 'ocsvm-1-1'], "tessera: missing required argument 'file'"],
    [['status', '-o', 'xml'], "argument 'xml' is invalid. Allowed choices are table, json."],
    [['results', 'j1'], "tessera: required option '--out <dir>' not specified"],
    [['run', 'x.csv', '--fit', 'squash'], "argument 'squash' is invalid. Allowed choices are stretch, letterbox."],
    [['run', 'x.csv', '--on-shard-error', 'ignore'], 'Allowed choices are fail, passthrough.'],
    [['status', 'j1', '--limit', '0'], '--limit: must be an integer from 1 to 1000, got "0"'],
    [['status', '-w'], 'tessera status -w: give the JOB to follow'],
  ])('%j exits 2: %s', async (argv, message) => {
    const result = await inProcess(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });

  it('input checks before upload: a missing file, a directory, an unknown kind, an unknown model exit 2 and queue nothing', async () => {
    const dir = join(home.dir, 'a-dir.csv');
    mkdirSync(dir, { recursive: true });
    const text = join(home.dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const clip = join(home.dir, 'clip.mp4');
    writeFileSync(clip, 'not really a video, but the model is checked first');
    const empty = join(home.dir, 'empty.csv');
    writeFileSync(empty, '');
    const csv = join(home.dir, 'r.csv');
    writeFileSync(csv, 'TS,Device,Tag,Value\n');
    for (const [argv, message] of [
      [['run', 'nosuchfile.csv'], 'nosuchfile.csv: no such file'],
      [['run', dir], `${dir}: is a directory`],
      [['run', empty], `${empty}: is empty`],
      [['run', text], `${text}: no job kind takes this input (expected .csv, .mp4`],
      [['run', clip, '--model', 'nosuch'], '--model: no model "nosuch" is registered'],
      [['run', csv, '--model', 'toon'], "--model: applies to video jobs; an anomaly job's models come from"],
    ] as const) {
      const result = await inProcess([...argv]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
    }
    expect(JSON.parse((await inProcess(['status', '-o', 'json'])).stdout)).toEqual({ jobs: [] });
  });

  it('the real process: a train option error names it; an unknown option names it', async () => {
    const readings = join(home.dir, 'readings.csv');
    writeFileSync(readings, 'TS,Device,Tag,Value\n2018-08-28 23:00:05.000,1,1,10.16\n');
    const result = await runCli(home, ['train', 'ocsvm', readings, '--window-seconds', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--window-seconds: must be a positive integer, got "0"');
    const bogus = await runCli(home, ['status', '--bogus']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("'--bogus'");
  });
});
