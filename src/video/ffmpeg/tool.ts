import { spawn, type ChildProcess } from 'node:child_process';
import { PermanentError } from '../../core/errors.js';
import { failSpan, startSpan } from '../../telemetry/tracing.js';
import { unguardedInputs } from './inputs.js';

export type Tool = 'ffmpeg' | 'ffprobe';

/** The last lines of a tool's stderr, short enough for an error message or a job report. */
export function trimStderr(text: string, maxLines = 6, maxChars = 600): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const tail = lines.slice(-maxLines).join(' | ');
  return tail.length > maxChars ? `…${tail.slice(-maxChars)}` : tail;
}

/**
 * Starts ffmpeg or ffprobe with an argument array: no shell, so nothing in a name can become an
 * option or a command. Callers pass absolute paths of files they named themselves, and every input
 * comes with its protocol and format whitelists (inputs.ts): a call with an input that has none
 * is a programming error, thrown before anything runs.
 * A missing binary is a PermanentError that says how to install it.
 * Each process is a span (under the active one) from spawn to exit, failed when it exits non-zero.
 */
export function spawnTool(
  tool: Tool,
  args: readonly string[],
  stdio: ('pipe' | 'ignore')[] = ['ignore', 'pipe', 'pipe'],
): ChildProcess {
  if (unguardedInputs(tool, args) > 0)
    throw new Error(`${tool}: every input needs -protocol_whitelist and -format_whitelist: ${args.join(' ')}`);
  const commandLine = args.join(' ');
  const span = startSpan(tool, {
    attributes: {
      'process.executable.name': tool,
      'tessera.tool.args': commandLine.length > 512 ? `${commandLine.slice(0, 511)}…` : commandLine,
    },
  });
  const child = spawn(tool, ['-hide_banner', ...args], { stdio });
  if (child.pid !== undefined) span.setAttribute('process.pid', child.pid);
  child.once('error', (error) => {
    failSpan(span, error);
    span.end();
  });
  child.once('exit', (code, signal) => {
    span.setAttribute('process.exit.code', code ?? -1);
    if (signal) span.setAttribute('tessera.tool.signal', signal);
    // A kill the caller asked for (a range that had all its frames, an abort) is not the tool failing.
    if (code !== 0 && code !== null) failSpan(span, new Error(`${tool} exited with code ${code}`));
    span.end();
  });
  return child;
}

export function missingTool(tool: Tool, error: NodeJS.ErrnoException): PermanentError {
  return new PermanentError(
    `${tool} is not installed or not on PATH (${error.code ?? error.message}); install it, e.g. apt-get install -y ffmpeg`,
    { cause: error, code: 'ToolMissing' },
  );
}

export interface ToolRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs a tool to completion, collecting stdout (bounded) and stderr (bounded). */
export function runTool(
  tool: Tool,
  args: readonly string[],
  options: { signal?: AbortSignal; maxStdout?: number } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawnTool(tool, args);
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    const maxStdout = options.maxStdout ?? 256 * 1024 * 1024;
    child.stdout?.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxStdout) {
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.length > 64_000) err = err.slice(-32_000);
    });
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? missingTool(tool, error) : error),
    );
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (outBytes > maxStdout) reject(new PermanentError(`${tool} wrote more than ${maxStdout} bytes`));
      else resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
  });
}
